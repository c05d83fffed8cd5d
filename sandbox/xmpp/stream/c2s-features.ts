// RFC 6120 §4.3.2 stream features for c2s streams.
// Before auth: SASL mechanisms only (no STARTTLS: docs/interop.md §1.5).
// After auth: bind (RFC 6120 §7), session marked optional (RFC 3921 §3, docs/interop.md
// §1.3: 0.13 clients skip it when <optional/>), XEP-0198 sm, plus plugin features.

import type { Element } from '@xmpp/xml';
import { offeredMechanisms } from '../auth/sasl';
import { serialize } from '../xml/serialize';
import { NS_BIND, NS_SASL, NS_SESSION, NS_SM } from '../vocabulary';
import { STREAM_PREFIX_DECL } from './stream-error';

export function saslFeaturesXml(allowAnonymous: boolean, declarePrefix: boolean): string {
  const mechs = offeredMechanisms(allowAnonymous).map((m) => `<mechanism>${m}</mechanism>`).join('');
  return `<stream:features${declarePrefix ? STREAM_PREFIX_DECL : ''}><mechanisms xmlns='${NS_SASL}'>${mechs}</mechanisms></stream:features>`;
}

export function boundFeaturesXml(extra: Element[], declarePrefix: boolean): string {
  return (
    `<stream:features${declarePrefix ? STREAM_PREFIX_DECL : ''}>` +
    `<bind xmlns='${NS_BIND}'/><session xmlns='${NS_SESSION}'><optional/></session><sm xmlns='${NS_SM}'/>` +
    extra.map(serialize).join('') +
    '</stream:features>'
  );
}
