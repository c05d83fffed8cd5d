// Type declarations for the parts of @xmpp/client the tests use (xmpp.js ships none).

declare module '@xmpp/client' {
  import { EventEmitter } from 'node:events';
  export class Element {
    name: string;
    attrs: Record<string, string>;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    toString(): string;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string | undefined | null)[]): Element;
  export interface Client extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    reconnect: EventEmitter & { stop(): void };
  }
  export function client(options: { service: string; domain?: string; resource?: string; username?: string; password?: string }): Client;
}
