/**
 * The catalogue's two languages, assembled from the area files (./messages/*.ts). The zh-CN texts
 * are also the types: which keys exist and which placeholders each takes.
 */
import * as account from "./messages/account";
import * as admin from "./messages/admin";
import * as bind from "./messages/bind";
import * as common from "./messages/common";
import * as fatal from "./messages/fatal";
import * as login from "./messages/login";
import * as loginErrors from "./messages/login-errors";
import * as outgoing from "./messages/outgoing";

/** The area files, by name. */
export const AREAS = { account, admin, bind, common, fatal, login, loginErrors, outgoing };

export const zh = { ...common.zh, ...login.zh, ...loginErrors.zh, ...bind.zh, ...account.zh, ...outgoing.zh, ...fatal.zh, ...admin.zh } as const;

export type Catalogue = typeof zh;
export type MessageKey = keyof Catalogue;

export const en: { readonly [Key in MessageKey]: string } = {
  ...common.en,
  ...login.en,
  ...loginErrors.en,
  ...bind.en,
  ...account.en,
  ...outgoing.en,
  ...fatal.en,
  ...admin.en,
};
