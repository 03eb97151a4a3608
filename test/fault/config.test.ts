// Every bad configuration value gets one message naming it and where it came from (launch.json,
// user setting, CLI flag), before anything runs: the pure resolution in the client and the
// checks at the edge of the core (which the adapter and the CLI both go through).

import { strict as assert } from 'node:assert';
import { resolveConfiguration, type ResolveContext } from '../../extension/client/launchConfig';
import { LaunchError, checkAttachValues, checkLaunchValues, checkWritable } from '../../extension/core/launcher';

const settings = { python: '', blockingThresholdMs: 100, justMyCode: true };
const base = { type: 'loopscope', request: 'launch', name: 'Run', program: '/a.py' };

function error(config: Record<string, unknown>, ctx: Partial<ResolveContext> = {}): string {
  const r = resolveConfiguration(config, { settings, ...ctx });
  assert.ok('error' in r, `expected an error for ${JSON.stringify(config)}`);
  return r.error;
}

describe('fault: configuration values in the client', () => {
  it('names the launch.json value, its configuration, and what to write instead', () => {
    assert.match(error({ ...base, args: '--name my file' }), /"args" in launch\.json configuration "Run" must be an array of strings.*\["--name","my","file"\]/);
    assert.match(error({ ...base, env: 'X=1' }), /"env" in launch\.json configuration "Run" must be an object/);
    assert.match(error({ ...base, env: { X: 1 } }), /"env" in launch\.json/);
    assert.match(error({ ...base, cwd: 3 }), /"cwd" in launch\.json configuration "Run" must be a string/);
    assert.match(error({ ...base, blockingThresholdMs: -5 }), /"blockingThresholdMs" in launch\.json .* positive number .*got -5/);
    assert.match(error({ ...base, blockingThresholdMs: '100' }), /"blockingThresholdMs" in launch\.json/);
  });

  it('names a wrong user setting as a user setting', () => {
    assert.match(error(base, { settings: { ...settings, blockingThresholdMs: 0 } }), /user setting "loopscope\.blockingThresholdMs" must be a positive number/);
  });

  it('tells the adapter where the interpreter came from', () => {
    const fromSetting = resolveConfiguration(base, { settings: { ...settings, python: '/opt/py' } });
    assert.ok('config' in fromSetting);
    assert.match(String(fromSetting.config.pythonSource), /^loopscope\.python in your /);
    const fromLaunch = resolveConfiguration({ ...base, python: '/x' }, { settings });
    assert.ok('config' in fromLaunch);
    assert.match(String(fromLaunch.config.pythonSource), /^"python" in launch configuration /);
  });

  it('refuses attach ports outside 1-65535', () => {
    assert.match(error({ type: 'loopscope', request: 'attach', name: 'Att', port: 99999 }), /needs "port" in launch\.json.*got 99999/);
  });
});

describe('fault: configuration values at the edge of the core', () => {
  const cli = { name: (k: string) => `--${k}` };
  it('uses the source it is given in messages', () => {
    assert.throws(() => checkLaunchValues({ python: '' }, cli), /--python must be the path/);
    assert.throws(() => checkLaunchValues({ args: 'a b' }), (e: Error) => e instanceof LaunchError && /"args" in launch\.json/.test(e.message));
    assert.throws(() => checkLaunchValues({ env: ['X=1'] }), /"env" in launch\.json must be an object.*got an array/);
    assert.throws(() => checkLaunchValues({ env: { 'A=B': '1' } }), /invalid variable name "A=B"/);
    assert.throws(() => checkLaunchValues({ blockingThresholdMs: Number.NaN }), /blockingThresholdMs/);
    assert.doesNotThrow(() => checkLaunchValues({ program: '/a.py', args: ['x'], env: { A: '1', B: null }, stopOnEntry: true }));
  });

  it('checks attach values', () => {
    assert.throws(() => checkAttachValues({ port: 0 }), /"port" in launch\.json must be .*1 to 65535; got number 0/);
    assert.throws(() => checkAttachValues({ port: 5679, token: 5 }), /"token" in launch\.json must be a string/);
    assert.doesNotThrow(() => checkAttachValues({ port: 5679, host: '127.0.0.1', tokenFile: '/t' }));
  });

  it('refuses output paths that cannot be written, before anything runs', () => {
    assert.throws(() => checkWritable('/nonexistent-dir/r.json', '/', '--report'), /--report \/nonexistent-dir\/r\.json: the folder \/nonexistent-dir does not exist/);
    assert.throws(() => checkWritable('/tmp', '/', '--trace'), /is a folder/);
    assert.equal(checkWritable('out.json', '/tmp', '--report'), '/tmp/out.json');
  });
});
