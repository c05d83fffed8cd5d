// Minimal type declarations for the xmpp.js packages (they ship none). Only what the
// project uses; extend as needed.

declare module '@xmpp/xml' {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    parent: Element | null;
    attrs: Record<string, string>;
    children: Node[];
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getXmlns(): Record<string, string>;
    setAttrs(attrs: Record<string, string | undefined>): void;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    cnode(child: Element): Element;
    append(...nodes: Node[]): Element;
    prepend(...nodes: Node[]): Element;
    t(text: string): Element;
    remove(el: Element | string, xmlns?: string): Element;
    text(val?: string): string;
    attr(attr: string, val?: string): string | undefined;
    clone(): Element;
    toString(): string;
  }
  export class Parser {
    constructor();
    write(data: string | Buffer): void;
    end(data?: string): void;
    on(event: 'start' | 'element' | 'end', listener: (el: Element) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  export class XMLError extends Error {}
  export function createElement(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | Node[] | undefined | null)[]): Element;
  export function escapeXML(s: string): string;
  export function unescapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXMLText(s: string): string;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | Node[] | undefined | null)[]): Element;
  export default xml;
}

declare module '@xmpp/xml/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  export default function parse(data: string): Element;
}

declare module '@xmpp/jid' {
  export class JID {
    constructor(local: string | undefined, domain: string, resource?: string);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(unescape?: boolean): string;
    equals(other: JID): boolean;
    getLocal(): string;
    getDomain(): string;
    getResource(): string;
  }
  export default function jid(s: string): JID;
}

declare module '@xmpp/client' {
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  import { EventEmitter } from 'node:events';
  export { xml } from '@xmpp/xml';
  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: unknown;
    lang?: string;
    timeout?: number;
  }
  export interface Client extends EventEmitter {
    jid: JID | null;
    status: string;
    timeout: number;
    start(): Promise<JID>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    sendMany(stanzas: Element[]): Promise<void>;
    write(s: string): Promise<void>;
    disconnect(timeout?: number): Promise<void>;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element>; get(el: Element, to?: string, timeout?: number): Promise<Element>; set(el: Element, to?: string, timeout?: number): Promise<Element> };
    iqCallee: { get(ns: string, name: string, handler: (ctx: any) => any): void; set(ns: string, name: string, handler: (ctx: any) => any): void };
    streamManagement: EventEmitter & { enabled: boolean; id: string; inbound: number; outbound: number; outbound_q: unknown[]; timeout: number; requestAckInterval: number; debounceAckRequest: number };
    reconnect: EventEmitter & { delay: number; stop(): void };
    socket: unknown;
    middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void };
  }
  export function client(options: ClientOptions): Client;
  export function jid(s: string): JID;
}

declare module '@xmpp/component' {
  import type { Element } from '@xmpp/xml';
  import { EventEmitter } from 'node:events';
  export { xml } from '@xmpp/xml';
  export interface Component extends EventEmitter {
    status: string;
    timeout: number;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    disconnect(timeout?: number): Promise<void>;
    reconnect: EventEmitter & { delay: number; stop(): void };
    iqCallee: { get(ns: string, name: string, handler: (ctx: any) => any): void; set(ns: string, name: string, handler: (ctx: any) => any): void };
    middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): void };
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
}

declare module '@xmpp/debug' {
  export default function debug(entity: unknown, force?: boolean): void;
}
