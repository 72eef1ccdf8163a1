/**
 * Filling in a message: `t("bind.err.wrong_code", { tries: 4 })`. The values a key takes are the
 * `{name}` placeholders of its zh-CN text, so a missing, misspelt or extra value is a type error.
 * This module holds no messages: a client island imports it and gets only the few messages its
 * page picked for it (`pickMessages` in ./messages), never the whole catalogue.
 */
import type { Catalogue, MessageKey } from "./catalogue";

type PlaceholdersOf<Text extends string> = Text extends `${string}{${infer Name}}${infer Rest}` ? Name | PlaceholdersOf<Rest> : never;

/** The placeholder names of `K`'s message, e.g. `"tries"` for `bind.err.wrong_code`. */
export type Placeholders<K extends MessageKey> = PlaceholdersOf<Catalogue[K]>;

export type MessageValues<K extends MessageKey> = { [Name in Placeholders<K>]: string | number };

/** No second argument for a message without placeholders; exactly its values otherwise. */
export type MessageArgs<K extends MessageKey> = [Placeholders<K>] extends [never] ? [] : [values: MessageValues<K>];

/** A translator limited to the keys `K` it was given messages for. */
export type Translate<K extends MessageKey = MessageKey> = <Key extends K>(key: Key, ...args: MessageArgs<Key>) => string;

/** Messages of one locale for the keys `K`: what a server page hands a client island. */
export type Messages<K extends MessageKey = MessageKey> = { readonly [Key in K]: string };

export function createTranslator<K extends MessageKey>(messages: Messages<K>): Translate<K> {
  const translate = (key: K, values?: Record<string, string | number>): string => fill(messages[key], values);
  return translate as Translate<K>;
}

function fill(template: string, values: Record<string, string | number> | undefined): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : match));
}
