// Type declarations for the parts of @xmpp/client this project uses (xmpp.js ships none).
// Extend them as you use more of the library.

declare module '@xmpp/client' {
  import { EventEmitter } from 'node:events';

  export type Node = Element | string;
  export class Element {
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    toString(): string;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | undefined | null)[]): Element;

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }
  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
  }
  export interface Client extends EventEmitter {
    jid: JID | null;
    status: string;
    start(): Promise<JID>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    reconnect: EventEmitter & { delay: number; stop(): void };
  }
  export function client(options: ClientOptions): Client;
}
