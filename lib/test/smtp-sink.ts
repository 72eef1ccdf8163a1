/**
 * A local mail catcher for tests: a real SMTP server (smtp-server) that accepts every message,
 * reads it with mailparser and keeps it in memory, so email goes over real SMTP and nothing leaves
 * the machine. Point the app at it with EMAIL_PROVIDER=smtp, SMTP_HOST=127.0.0.1,
 * SMTP_PORT=<port>, SMTP_SECURE=false.
 *
 * smtp-server and mailparser are dev dependencies: nothing the app loads may import this module.
 */
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

/** A message as its reader sees it, with what the SMTP session said around it. */
export type SinkMessage = {
  /** `Name <address>`, decoded, as a mail client shows it. */
  from: string;
  /** The To header's addresses, the same way, comma-separated. */
  to: string;
  subject: string;
  /** The text/plain body, decoded ("" when there is none). */
  text: string;
  /** The text/html body, decoded, if the message has one. */
  html: string | undefined;
  envelope: { from: string | undefined; to: string[] };
  /** The message as received, read as UTF-8. */
  raw: string;
  /** The user name the client authenticated with, if it did. */
  user: string | undefined;
  receivedAt: Date;
};

export type SmtpSink = {
  host: string;
  port: number;
  /** Every message received, oldest first. */
  messages: SinkMessage[];
  /**
   * The oldest message to `to` (any case) that no earlier call returned, waiting for it if need be.
   * So a test that sends twice and waits twice gets each message once.
   */
  waitForMessage(to: string, timeoutMs?: number): Promise<SinkMessage>;
  /** Forgets every message. */
  clear(): void;
  close(): Promise<void>;
};

export type SmtpSinkOptions = {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** When given, clients must log in with one of these; otherwise any login, or none, is accepted. */
  users?: Record<string, string>;
  /** Recipients to refuse with `550 5.1.1`, to test bounces. */
  rejectRecipient?: (address: string) => boolean;
};

type Waiter = { to: string; resolve(message: SinkMessage): void };

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? "127.0.0.1";
  const messages: SinkMessage[] = [];
  const taken = new WeakSet<SinkMessage>();
  let waiters: Waiter[] = [];
  const users = options.users;

  const deliver = (message: SinkMessage) => {
    messages.push(message);
    for (const waiter of waiters) {
      if (!taken.has(message) && message.envelope.to.includes(waiter.to)) {
        taken.add(message);
        waiters = waiters.filter((other) => other !== waiter);
        waiter.resolve(message);
        return;
      }
    }
  };

  const server = new SMTPServer({
    name: "smtp-sink.localhost",
    banner: "smtp-sink",
    // Plain SMTP on a loopback port: no STARTTLS, so no self-signed certificate to trust.
    disabledCommands: ["STARTTLS"],
    authOptional: users === undefined,
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    closeTimeout: 1000,
    logger: false,
    onAuth(auth, _session, callback) {
      const name = auth.username ?? "";
      if (users !== undefined && users[name] !== auth.password) {
        return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      }
      callback(null, { user: name });
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      if (options.rejectRecipient?.(address.address)) {
        return callback(Object.assign(new Error("5.1.1 Mailbox does not exist"), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const bytes = Buffer.concat(chunks);
        // The message is kept before the 250 goes out, so a sender whose sendMail resolved finds it here.
        simpleParser(bytes, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true })
          .then((mail) => {
            deliver({
              from: formatAddresses(mail.from),
              to: formatAddresses(mail.to),
              subject: mail.subject ?? "",
              text: mail.text ?? "",
              html: mail.html === false ? undefined : mail.html,
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
                to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
              },
              raw: bytes.toString("utf8"),
              user: typeof session.user === "string" ? session.user : undefined,
              receivedAt: new Date(),
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off("error", reject);
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : (options.port ?? 0));
    });
  });
  // A client error after start-up (a dropped connection) must not crash the test process.
  server.on("error", () => {});

  return {
    host,
    port,
    messages,
    waitForMessage(to, timeoutMs = 10_000) {
      const wanted = to.toLowerCase();
      const ready = messages.find((message) => !taken.has(message) && message.envelope.to.includes(wanted));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise<SinkMessage>((resolve, reject) => {
        const waiter: Waiter = {
          to: wanted,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((other) => other !== waiter);
          reject(new Error(`No mail to ${to} within ${timeoutMs} ms (${messages.length} received in all)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function formatAddresses(field: AddressObject | AddressObject[] | undefined): string {
  const addresses = [field ?? []].flat().flatMap((object) => object.value);
  return addresses.map(({ name, address = "" }) => (name ? `${name} <${address}>` : address)).join(", ");
}
