// Type declarations for the parts of xmpp.js this project uses (it ships none). Extend them
// as you use more of the library.

declare module '@xmpp/xml' {
  import { EventEmitter } from 'node:events';
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    toString(): string;
  }
  export class Parser extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | undefined | null)[]): Element;
}

declare module '@xmpp/component' {
  import { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export { xml } from '@xmpp/xml';
  export interface Component extends EventEmitter {
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    reconnect: EventEmitter & { delay: number; stop(): void };
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
}

declare module '@xmpp/client' {
  import { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export { xml } from '@xmpp/xml';
  export interface Client extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    reconnect: EventEmitter & { stop(): void };
  }
  export function client(options: { service: string; domain?: string; resource?: string; username?: string; password?: string }): Client;
}
