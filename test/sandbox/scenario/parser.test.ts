// The scenario parser (sandbox/scenario/parser.ts): Scansion's .scs format as Prosody's
// spec/scansion/*.scs scripts write it (tabs, `${Name's full JID}`, `scansion:strict` without a
// namespace declaration), our extensions, and errors with the line they are on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, parseVariable, parseXmlBlock } from '../../../sandbox/scenario/parser';

const SCRIPT = [
  '# Basic message routing', // 1
  '# Two clients, one message.', // 2
  '## slow', // 3
  '## status: stable', // 4
  '', // 5
  '[Client] Romeo', // 6
  '\tjid: romeo@localhost', // 7
  '\tpassword: montague', // 8
  '', // 9
  "[Client] Juliet's phone", // 10
  '\tjid: juliet@localhost', // 11
  '\tpassword: capulet', // 12
  '\tresource: mobile', // 13
  '', // 14
  '[Component] Echo', // 15
  '    jid: echo.localhost', // 16
  '    password: secret', // 17
  '', // 18
  '[Queue] Jobs', // 19
  '\tlist: jobs', // 20
  '\tpop: right', // 21
  '', // 22
  '-----', // 23
  '', // 24
  '# Act 1', // 25
  'Romeo connects', // 26
  '', // 27
  "# Romeo writes to Juliet's phone", // 28
  'Romeo sends:', // 29
  `\t<message to="\${Juliet's phone's full JID}" type="chat">`, // 30
  '\t\t<body>Hello!</body>', // 31
  '\t</message>\t', // 32
  '\t', // 33
  "Juliet's phone receives within 2.5s:", // 34
  `\t<message from="\${Romeo's full JID}">`, // 35
  "\t\t<body scansion:strict='true'>Hello!</body>", // 36
  '\t</message>', // 37
  'Romeo receives: nothing', // 38
  'Romeo receives within 300ms: nothing', // 39
  'Jobs pushes:', // 40
  '\tjob 1', // 41
  'Jobs receives:', // 42
  '\t{scansion:any}', // 43
  'Romeo disconnects', // 44
].join('\n');

test('a script: title, description, tags, characters, the separator and actions, each with its lines', () => {
  const s = parseScenario(SCRIPT, 'x.scs');
  assert.deepEqual(s.errors, []);
  assert.equal(s.file, 'x.scs');
  assert.equal(s.title, 'Basic message routing');
  assert.deepEqual(s.description, ['Two clients, one message.']);
  assert.deepEqual(
    s.tags.map((t) => [t.name, t.value, t.line]),
    [
      ['slow', undefined, 3],
      ['status', 'stable', 4],
    ],
  );
  assert.equal(s.domain, 'localhost');
  assert.deepEqual(
    s.characters.map((c) => [c.class, c.name, c.line, c.endLine]),
    [
      ['Client', 'Romeo', 6, 8],
      ['Client', "Juliet's phone", 10, 13],
      ['Component', 'Echo', 15, 17],
      ['Queue', 'Jobs', 19, 21],
    ],
  );
  const phone = s.characters[1]!;
  assert.deepEqual(phone.properties.resource, { value: 'mobile', line: 13 });
  assert.equal(phone.jid?.bare, 'juliet@localhost');
  assert.equal(s.characters[2]!.jid?.domain, 'echo.localhost');

  assert.deepEqual(
    s.actions.map((a) => [a.line, a.endLine, a.actor, a.verb, a.nothing ?? false, a.timeoutMs]),
    [
      [26, 26, 'Romeo', 'connects', false, undefined],
      [29, 32, 'Romeo', 'sends', false, undefined],
      [34, 37, "Juliet's phone", 'receives', false, 2500],
      [38, 38, 'Romeo', 'receives', true, undefined],
      [39, 39, 'Romeo', 'receives', true, 300],
      [40, 41, 'Jobs', 'pushes', false, undefined],
      [42, 43, 'Jobs', 'receives', false, undefined],
      [44, 44, 'Romeo', 'disconnects', false, undefined],
    ],
  );
  const sends = s.actions[1]!;
  assert.equal(sends.bodyLine, 30);
  assert.equal(sends.body, `<message to="\${Juliet's phone's full JID}" type="chat">\n\t<body>Hello!</body>\n</message>`, 'dedented, trailing whitespace and blank lines dropped');
  assert.equal(sends.comment, "Romeo writes to Juliet's phone");
  assert.equal(s.actions[0]!.comment, 'Act 1');
  assert.equal(s.actions[5]!.body, 'job 1');

  const types = s.nodes.map((n) => `${n.type}@${n.line}`);
  assert.deepEqual(types.slice(0, 4), ['title@1', 'description@2', 'tag@3', 'tag@4']);
  assert.ok(types.includes('separator@23') && types.includes('comment@25') && types.includes('action@29'));
});

test("variables: ${Name's JID} and ${Name's full JID}, names with apostrophes included", () => {
  assert.deepEqual(parseVariable("Romeo's JID"), { character: 'Romeo', full: false });
  assert.deepEqual(parseVariable("Juliet's phone's full JID"), { character: "Juliet's phone", full: true });
  assert.equal(parseVariable('Romeo'), null);
});

test('an XML block may use the scansion: prefix without declaring it; bad XML reports its line', () => {
  const ok = parseXmlBlock("<iq>\n  <query xmlns='jabber:iq:version' scansion:strict='true'/>\n</iq>");
  assert.ok(ok.ok);
  assert.equal(ok.element.getChild('query')!.attrs['scansion:strict'], 'true');
  assert.equal(ok.element.parent, null);
  const bad = parseXmlBlock('<message>\n  <body>hi</bodyx>\n</message>');
  assert.ok(!bad.ok);
  assert.equal(bad.line, 2);
  assert.match(bad.message, /<body> closed by <\/bodyx>/);
  const open = parseXmlBlock('<message>\n  <body>hi</body>');
  assert.ok(!open.ok);
  assert.deepEqual([open.message, open.line], ['not well-formed XML: <message> is not closed', 2]);
  const two = parseXmlBlock('<a/><b/>');
  assert.ok(!two.ok && /2 elements/.test(two.message));
});

/** The errors of `text`, as 'line: message'. */
function errorsOf(text: string): string[] {
  return parseScenario(text).errors.map((e) => `${e.line}: ${e.message}`);
}

const HEAD = '[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: pw\n-----\n'; // lines 1-4

test('errors say what is wrong, on which line, and suggest the closest name', () => {
  const cases: [string, RegExp][] = [
    ['[Clinet] Romeo\n\tjid: r@localhost\n\tpassword: x\n-----\nRomeo connects', /^1: unknown character class \[Clinet\].*did you mean 'Client'/],
    ['[Client] Romeo\n\tjid: romeo@localhost\n\tpasword: x\n-----\nRomeo connects', /^1: Romeo needs a 'password' property/],
    ['[Client] Romeo\n\tjid: romeo@localhost\n\tpasword: x\n-----\nRomeo connects', /^3: unknown property 'pasword'.*did you mean 'password'/],
    ['[Client] Romeo\n\tjid: localhost\n\tpassword: x\n-----\nRomeo connects', /^2: a client's jid needs a local part/],
    ['[Component] C\n\tjid: c@localhost\n\tpassword: x\n-----\nC connects', /^2: a component's jid is its domain/],
    ['[Client] R\n\tjid: r@localhost\n\tpassword: x\n\tconnect_port: 99999\n-----\nR connects', /^4: connect_port must be a port number/],
    ['[Queue] Q\n\tlist: l\n\tpop: middle\n-----\nQ receives: nothing', /^3: pop must be 'left'/],
    [HEAD + 'Romeo conects', /^5: unknown action 'conects' for Romeo \(did you mean 'connects'\?\)/],
    [HEAD + 'Rome sends:\n\t<presence/>', /^5: unknown character 'Rome'.*did you mean 'Romeo'/],
    [HEAD + 'Romeo sends:\n\t<message>\n\t\t<body>hi</bdy>\n\t</message>', /^7: not well-formed XML/],
    [HEAD + "Romeo sends:\n\t<message to=\"${Julet's JID}\"/>", /^6: \$\{Julet's JID\}: no character named 'Julet'/],
    [HEAD + 'Romeo sends:\n\t<message to="${Romeo}"/>', /^6: unknown variable \$\{Romeo\}/],
    [HEAD + 'Romeo sends:', /^5: 'Romeo sends:' needs the stanza on the following lines, indented/],
    [HEAD + 'Romeo sends within 2s:\n\t<presence/>', /^5: 'within' goes with 'receives' only/],
    [HEAD + 'Romeo sends: nothing', /^5: 'nothing' goes with 'receives' only/],
    [HEAD + 'Romeo pushes:\n\tx', /^5: a \[Client\] cannot 'pushes'/],
    [HEAD + 'Romeo connects\n\t<presence/>', /^6: an indented line with no 'sends:'/],
    [HEAD + 'Romeo connects\n-----', /^6: a second separator line/],
    ['[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: pw\nRomeo connects\n-----\nRomeo connects', /^4: actions come after the line of dashes/],
    ['[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: pw\nRomeo connects', /actions come after the line of dashes/],
    ['[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: pw\n', /no line of dashes/],
    ['[Client] A\n\tjid: a@localhost\n\tpassword: pw\n[Client] A\n\tjid: b@localhost\n\tpassword: pw\n-----\nA connects', /^4: a second character named 'A' \(the first is on line 1\)/],
  ];
  for (const [text, expected] of cases) {
    const errors = errorsOf(text);
    assert.ok(
      errors.some((e) => expected.test(e)),
      `${JSON.stringify(text)}\n  expected an error matching ${expected}\n  got ${JSON.stringify(errors)}`,
    );
  }
});

test("our scenario files parse without errors, and Prosody's style does too", () => {
  const dirs = ['', 'failing', 'conformance'].map((d) => join(__dirname, '../../scenarios', d));
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.scs')).map((f) => join(d, f)));
  assert.ok(files.length >= 9, `found ${files.length} scripts`);
  for (const f of files) {
    const s = parseScenario(readFileSync(f, 'utf8'), f);
    assert.deepEqual(s.errors, [], f);
    assert.ok(s.title && s.actions.length > 0, f);
  }
  // As spec/scansion/version.scs writes it: a resource in the jid, `scansion:strict` undeclared.
  const prosodyStyle = parseScenario(
    "# XEP-0092: Software Version\n\n[Client] Romeo\n\tpassword: password\n\tjid: romeo@localhost/dfaZpuxV\n\n-----\n\nRomeo connects\n\nRomeo sends:\n\t<iq id='lx2' to='localhost' type='get'>\n\t\t<query xmlns='jabber:iq:version'/>\n\t</iq>\n\nRomeo receives:\n\t<iq id='lx2' from='localhost' type='result'>\n\t\t<query xmlns='jabber:iq:version' scansion:strict='true'>\n\t\t\t<name>Prosody</name>\n\t\t\t<version scansion:strict='false'/>\n\t\t</query>\n\t</iq>\n\n\nRomeo disconnects\n",
  );
  assert.deepEqual(prosodyStyle.errors, []);
  assert.equal(prosodyStyle.characters[0]!.jid?.resource, 'dfaZpuxV');
  assert.deepEqual(
    prosodyStyle.actions.map((a) => `${a.line} ${a.text}`),
    ['9 Romeo connects', '11 Romeo sends:', '16 Romeo receives:', '25 Romeo disconnects'],
  );
});
