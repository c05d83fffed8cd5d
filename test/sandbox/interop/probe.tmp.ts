import { startSandbox } from './slix-harness';
import { spawn } from 'node:child_process';
(async () => {
const s = await startSandbox();
console.log(s.c2sPort);
const code = `
import logging, sys, asyncio, slixmpp
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
x = slixmpp.ClientXMPP('probe@localhost/r', '${s.password}')
x.register_plugin('xep_0198'); x.register_plugin('xep_0030'); x.register_plugin('xep_0199')
async def go(e):
    x.send_presence(ppriority=3)
    r = await x.get_roster()
    print("ROSTER", r, flush=True)
    try:
        r = await x['xep_0199'].ping('probe@localhost', timeout=3); print("PINGBARE", r, flush=True)
    except Exception as ex: print("PINGBARE ERR", ex, flush=True)
    x.send_raw('   ')
    x.send_message(mto='probe@localhost/r', mbody='self')
    await asyncio.sleep(1)
    x.disconnect()
x.add_event_handler('session_start', go)
x.add_event_handler('message', lambda m: print("MSG", m, flush=True))
x.add_event_handler('disconnected', lambda e: asyncio.get_event_loop().stop())
x.connect(('127.0.0.1', ${s.c2sPort}), disable_starttls=True, force_starttls=False)
asyncio.get_event_loop().run_forever()
`;
const p = spawn('/usr/bin/python3', ['-c', code], { stdio: 'inherit' });
await new Promise((r) => p.on('exit', r));
await s.stop();
})();
