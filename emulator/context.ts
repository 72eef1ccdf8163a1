import type { EmulatorState } from "./state";

/** What every handler needs: the store and the two origins the emulator advertises. */
export type EmulatorContext = {
  state: EmulatorState;
  /** Origin used in links, scripts and headimgurl. */
  publicUrl: string;
  /** Origin encoded in QR codes, reachable from a phone on the LAN. */
  phoneUrl: string;
  /** Notes about requests that work but would surprise on WeChat (main.ts prints them). */
  log?: (line: string) => void;
};
