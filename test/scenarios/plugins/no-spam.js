// A preprocessor that blocks a message whose body mentions spam: the scenarios'
// `## plugin-dir: plugins` loads it into their embedded sandbox (trace-blocked.scs shows the
// trace naming it). The same plugin as the README's example.
module.exports = {
  id: 'no-spam',
  preProcess(p) {
    return p.kind === 'message' && /spam/i.test(p.element.getChildText('body') ?? '') ? { block: true, reason: 'spam' } : false;
  },
};
