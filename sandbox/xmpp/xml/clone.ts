// Deep copy of an @xmpp/xml Element. ltx's Element has no clone() method (the typing in
// types/xmpp.d.ts declares one, but calling it throws); use this instead.

import { Element } from '@xmpp/xml';

export function cloneElement(el: Element): Element {
  const copy = new Element(el.name);
  copy.attrs = { ...el.attrs };
  for (const child of el.children) {
    if (typeof child === 'string') copy.children.push(child);
    else {
      const c = cloneElement(child);
      c.parent = copy;
      copy.children.push(c);
    }
  }
  return copy;
}
