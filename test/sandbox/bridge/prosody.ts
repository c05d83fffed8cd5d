// Prosody on loopback for interop tests (design/peers.md): a temp config dir, free c2s and
// XEP-0114 ports, accounts registered with prosodyctl, run as the prosody user, stopped by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../helpers/net';

export interface Prosody {
  c2sPort: number;
  componentPort: number;
  domain: string;
  stop(): Promise<void>;
}

export function prosodyAvailable(): boolean {
  return spawnSync('prosody', ['--help'], { stdio: 'ignore' }).error === undefined && process.getuid?.() === 0;
}

async function waitPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prosody exited: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`prosody did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `domain`: the VirtualHost (default localhost); components and accounts live there. */
export async function startProsody(o: { components: Record<string, string>; accounts: Record<string, string>; domain?: string }): Promise<Prosody> {
  const domain = o.domain ?? 'localhost';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prosody-'));
  const c2sPort = await freePort();
  const componentPort = await freePort();
  const cfg = path.join(dir, 'prosody.cfg.lua');
  const components = Object.entries(o.components)
    .map(([d, s]) => `Component "${d}"\n  component_secret = "${s}"\n`)
    .join('');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(
    cfg,
    `pidfile = "${dir}/prosody.pid"; data_path = "${dir}/data"
daemonize = false
log = { { levels = { min = "info" }, to = "console" } }
interfaces = { "127.0.0.1" }; local_interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }; c2s_interfaces = { "127.0.0.1" }
component_ports = { ${componentPort} }; component_interfaces = { "127.0.0.1" }
http_ports = { }; https_ports = { }
network_settings = { nagle = false }
modules_enabled = { "disco"; "roster"; "saslauth"; "ping"; "version"; "register" }
modules_disabled = { "s2s" }
c2s_require_encryption = false; allow_unencrypted_plain_auth = true
authentication = "internal_hashed"; allow_registration = true; min_seconds_between_registrations = 0
VirtualHost "${domain}"
${components}`,
  );
  spawnSync('chown', ['-R', 'prosody:prosody', dir]);
  for (const [user, pass] of Object.entries(o.accounts)) {
    const r = spawnSync('runuser', ['-u', 'prosody', '--', 'prosodyctl', '--config', cfg, 'register', user, domain, pass], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`prosodyctl register ${user}: ${r.stderr}${r.stdout}`);
  }
  const child = spawn('runuser', ['-u', 'prosody', '--', 'prosody', '--config', cfg, '-F'], { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitPort(c2sPort, child, () => out);
  await waitPort(componentPort, child, () => out);
  return {
    c2sPort,
    componentPort,
    domain,
    async stop() {
      const pidFile = path.join(dir, 'prosody.pid');
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : 0;
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      } else child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
