import { DEFAULT_OA_PUSH_MODE, DEFAULT_OA_PUSH_URL, DEMO_APPS } from "./config";
import { readEmulatorOptionsFromEnv } from "./env";
import { startEmulator } from "./server";

const options = readEmulatorOptionsFromEnv(process.env);
const emulator = await startEmulator({ ...options, log: (line) => console.log(`[emulator] ${line}`) });

const extra = options.extraApps?.filter((app) => !DEMO_APPS.some((demo) => demo.appid === app.appid)) ?? [];
console.log(`WeChat emulator listening on ${options.host}:${options.port}`);
console.log(`  public URL  ${emulator.url}`);
console.log(`  phone URL   ${emulator.phoneUrl}  (encoded in QR codes; open ${emulator.url}/phone on a laptop)`);
console.log(`  callbacks   ${options.callbackDomains?.join(", ")}`);
console.log(`  OA pushes   ${options.oaPushUrl ?? DEFAULT_OA_PUSH_URL} (${options.oaPushMode ?? DEFAULT_OA_PUSH_MODE} mode)`);
for (const app of extra) console.log(`  extra app   ${app.appid} from AUTH_WECHAT_ID`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
