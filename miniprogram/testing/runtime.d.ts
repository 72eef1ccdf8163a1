/** The part of `wx` the login page uses, in wx's callback style. */
export type WxCallbacks<T> = { success?: (result: T) => void; fail?: (error: { errMsg: string }) => void; complete?: () => void };

export type WxRequestOptions = WxCallbacks<{ statusCode: number; data: unknown; header: Record<string, string> }> & {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  timeout?: number;
};

export type Wx = {
  login(options: WxCallbacks<{ code: string; errMsg: string }>): void;
  request(options: WxRequestOptions): void;
  getSystemInfoSync(): { language: string };
  getLaunchOptionsSync(): { scene: number; query: Record<string, string>; path?: string };
  showToast?(options: { title: string; icon?: string }): void;
};

export type MiniProgramOptions = {
  /** Source text by module path without `.js`: "pages/login/login", "config", "i18n". */
  sources: Record<string, string>;
  /** Replaces what `require("../../config")` gives. */
  config?: Record<string, unknown>;
  wx: Wx;
  onRender?: (data: Record<string, unknown>) => void;
  /** Default "pages/login/login". */
  page?: string;
};

/** A tap or a button event: `currentTarget.dataset` for taps, `detail` for open-type buttons. */
export type MiniProgramEvent = {
  type?: string;
  detail?: Record<string, unknown>;
  currentTarget?: { dataset: Record<string, unknown> };
  target?: { dataset: Record<string, unknown> };
};

export type MiniProgram = {
  page: Record<string, unknown>;
  load(query?: Record<string, string>): void;
  call(name: string, event?: MiniProgramEvent): unknown;
  data(): Record<string, unknown>;
};

export function createMiniProgram(options: MiniProgramOptions): MiniProgram;
