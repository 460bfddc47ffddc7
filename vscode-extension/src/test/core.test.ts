// Unit tests of the pure logic (no VS Code needed): `npm test`, i.e. tsc + `node --test out/test/`.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  ClientState,
  DEFAULT_DIAGNOSTICS_DELAY,
  LaunchEnvironment,
  RESTART_SETTINGS,
  SERVER_SETTING_KEYS,
  ServerState,
  findOnPath,
  formatCommandLine,
  launchSettingsFrom,
  needsRestart,
  resolveServerCommand,
  resolveVariables,
  serverSettingsFrom,
  serverStateFromClient,
  statusPresentation,
} from '../core';

/** A fake file system: only the listed files are executable. */
function env(files: string[], extra: Partial<LaunchEnvironment> = {}): LaunchEnvironment {
  const set = new Set(files);
  return {
    env: { PATH: '/usr/local/bin:/usr/bin', HOME: '/home/u' },
    home: '/home/u',
    platform: 'linux',
    isExecutable: (f) => set.has(f),
    ...extra,
  };
}

const noSettings = { path: [], interpreter: [], args: [] };

describe('resolveServerCommand', () => {
  it('uses gojaguard.path first, appending serve and args', () => {
    const cmd = resolveServerCommand(
      { path: ['/opt/venv/bin/gojaguard'], interpreter: ['/usr/bin/python3'], args: ['--log-level', 'debug'] },
      env(['/usr/bin/gojaguard']),
    );
    assert.deepEqual(cmd, {
      command: '/opt/venv/bin/gojaguard',
      args: ['serve', '--log-level', 'debug'],
      source: 'path',
    });
  });

  it('keeps the leading arguments of gojaguard.path', () => {
    const cmd = resolveServerCommand({ path: ['uvx', 'gojaguard'], interpreter: [], args: [] }, env([]));
    assert.deepEqual(cmd, { command: 'uvx', args: ['gojaguard', 'serve'], source: 'path' });
  });

  it('runs <interpreter> -m gojaguard when gojaguard.interpreter is set', () => {
    const cmd = resolveServerCommand(
      { path: [], interpreter: ['/opt/py/bin/python', '-X', 'utf8'], args: ['-v'] },
      env(['/usr/bin/gojaguard']),
    );
    assert.deepEqual(cmd, {
      command: '/opt/py/bin/python',
      args: ['-X', 'utf8', '-m', 'gojaguard', 'serve', '-v'],
      source: 'interpreter',
    });
  });

  it('finds gojaguard on PATH when nothing is configured', () => {
    const cmd = resolveServerCommand(noSettings, env(['/usr/bin/gojaguard', '/usr/bin/python3']));
    assert.deepEqual(cmd, { command: '/usr/bin/gojaguard', args: ['serve'], source: 'onPath' });
  });

  it('prefers the first PATH entry', () => {
    const cmd = resolveServerCommand(noSettings, env(['/usr/bin/gojaguard', '/usr/local/bin/gojaguard']));
    assert.equal(cmd.command, '/usr/local/bin/gojaguard');
  });

  it('falls back to python3 -m gojaguard', () => {
    const cmd = resolveServerCommand({ ...noSettings, args: ['--x'] }, env(['/usr/bin/python3']));
    assert.deepEqual(cmd, {
      command: '/usr/bin/python3',
      args: ['-m', 'gojaguard', 'serve', '--x'],
      source: 'defaultInterpreter',
    });
  });

  it('falls back to a bare python3 when no python is on PATH either', () => {
    const cmd = resolveServerCommand(noSettings, env([]));
    assert.equal(cmd.command, 'python3');
    assert.equal(cmd.source, 'defaultInterpreter');
  });

  it('uses python and PATHEXT on Windows', () => {
    const e = env(['C:\\Py\\Scripts\\gojaguard.EXE'], {
      platform: 'win32',
      env: { Path: 'C:\\Windows;C:\\Py\\Scripts', PATHEXT: '.COM;.EXE' },
    });
    assert.deepEqual(resolveServerCommand(noSettings, e), {
      command: 'C:\\Py\\Scripts\\gojaguard.EXE',
      args: ['serve'],
      source: 'onPath',
    });
    assert.equal(resolveServerCommand(noSettings, env([], { platform: 'win32', env: {} })).command, 'python');
  });

  it('substitutes variables in path, interpreter and args', () => {
    const e = env([], { workspaceFolder: '/ws', env: { PATH: '', VENV: '/venvs/a' } });
    assert.deepEqual(
      resolveServerCommand({ path: ['${workspaceFolder}/.venv/bin/gojaguard'], interpreter: [], args: ['--cfg=~/x'] }, e),
      { command: '/ws/.venv/bin/gojaguard', args: ['serve', '--cfg=~/x'], source: 'path' },
    );
    assert.equal(
      resolveServerCommand({ path: [], interpreter: ['${env:VENV}/bin/python'], args: [] }, e).command,
      '/venvs/a/bin/python',
    );
    assert.equal(resolveServerCommand({ path: ['~/bin/gojaguard'], interpreter: [], args: [] }, e).command, '/home/u/bin/gojaguard');
  });

  it('finds a real executable on the real file system', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gojaguard-test-'));
    try {
      const exe = path.join(dir, 'gojaguard');
      fs.writeFileSync(exe, '#!/bin/sh\n');
      fs.chmodSync(exe, 0o644);
      assert.equal(findOnPath('gojaguard', { env: { PATH: dir }, platform: 'linux' }), undefined, 'not executable');
      fs.chmodSync(exe, 0o755);
      assert.equal(findOnPath('gojaguard', { env: { PATH: dir }, platform: 'linux' }), exe);
      fs.mkdirSync(path.join(dir, 'sub', 'gojaguard'), { recursive: true });
      assert.equal(findOnPath('gojaguard', { env: { PATH: path.join(dir, 'sub') }, platform: 'linux' }), undefined, 'a directory');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('launchSettingsFrom', () => {
  it('normalises raw values', () => {
    assert.deepEqual(launchSettingsFrom({}), { path: [], interpreter: [], args: [] });
    assert.deepEqual(launchSettingsFrom({ path: '/x/gojaguard', interpreter: [1, '', 'py'], args: 'a' }), {
      path: ['/x/gojaguard'],
      interpreter: ['py'],
      args: ['a'],
    });
    assert.deepEqual(launchSettingsFrom({ path: '  ', interpreter: null, args: ['', 'b'] }), {
      path: [],
      interpreter: [],
      args: ['', 'b'],
    });
  });
});

describe('resolveVariables', () => {
  it('leaves unknown variables and an unset workspace folder alone', () => {
    assert.equal(resolveVariables('${foo}/${workspaceFolder}', { home: '/h', env: {} }), '${foo}/${workspaceFolder}');
    assert.equal(resolveVariables('${userHome}/a', { home: '/h', env: {} }), '/h/a');
    assert.equal(resolveVariables('${env:NOPE}x', { env: {} }), 'x');
    assert.equal(resolveVariables('a~b', { home: '/h' }), 'a~b');
    assert.equal(resolveVariables('~', { home: '/h' }), '/h');
  });
});

describe('formatCommandLine', () => {
  it('quotes what a shell would split', () => {
    assert.equal(formatCommandLine({ command: '/usr/bin/gojaguard', args: ['serve'] }), '/usr/bin/gojaguard serve');
    assert.equal(
      formatCommandLine({ command: '/My Py/python', args: ['-m', 'gojaguard', "it's", ''] }),
      `'/My Py/python' -m gojaguard 'it'\\''s' ''`,
    );
  });
});

describe('needsRestart', () => {
  it('restarts for path, interpreter and args only', () => {
    for (const s of RESTART_SETTINGS) {
      assert.equal(needsRestart((x) => x === s), true, s);
    }
    assert.equal(needsRestart((x) => x === 'gojaguard.rules'), false);
    assert.equal(needsRestart((x) => x === 'gojaguard.trace.server'), false);
    assert.equal(needsRestart(() => false), false);
  });
});

describe('serverSettingsFrom', () => {
  it('gives the defaults for an empty configuration', () => {
    assert.deepEqual(
      serverSettingsFrom(() => undefined),
      {
        rules: {},
        diagnosticsDelay: DEFAULT_DIAGNOSTICS_DELAY,
        enginePaths: [],
        ownerFunctions: [],
        offOwnerFunctions: [],
        exclude: [],
        locale: 'auto',
      },
    );
    assert.equal(DEFAULT_DIAGNOSTICS_DELAY, 150);
  });

  it('passes valid values through and fixes or drops the rest', () => {
    const raw: Record<string, unknown> = {
      rules: { GJ101: 'off', GJ102: 'Warning', GJ103: 'info', GJ104: 'loud', GJ105: 3, GJ106: 'hint', GJ107: 'warn' },
      diagnosticsDelay: 0,
      enginePaths: ['example.com/fork/goja', 7],
      ownerFunctions: ['example.com/app.(*VM).Run'],
      offOwnerFunctions: ['example.com/app.spawn'],
      exclude: ['**/vendor/**'],
      locale: 'zh-CN',
    };
    assert.deepEqual(serverSettingsFrom((k) => raw[k]), {
      rules: { GJ101: 'off', GJ102: 'warning', GJ103: 'information', GJ106: 'hint', GJ107: 'warning' },
      diagnosticsDelay: 0,
      enginePaths: ['example.com/fork/goja'],
      ownerFunctions: ['example.com/app.(*VM).Run'],
      offOwnerFunctions: ['example.com/app.spawn'],
      exclude: ['**/vendor/**'],
      locale: 'zh-cn',
    });
  });

  it('rejects wrongly typed values', () => {
    const raw: Record<string, unknown> = { rules: ['GJ101'], diagnosticsDelay: -5, locale: 'fr', exclude: 'vendor/**' };
    const s = serverSettingsFrom((k) => raw[k]);
    assert.deepEqual(s.rules, {});
    assert.equal(s.diagnosticsDelay, DEFAULT_DIAGNOSTICS_DELAY);
    assert.equal(s.locale, 'auto');
    assert.deepEqual(s.exclude, ['vendor/**']);
    assert.equal(serverSettingsFrom((k) => (k === 'diagnosticsDelay' ? NaN : undefined)).diagnosticsDelay, 150);
  });

  it('covers every key the package.json contributes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const contributed = Object.keys(pkg.contributes.configuration.properties)
      .map((k) => k.replace(/^gojaguard\./, ''))
      .filter((k) => !['path', 'interpreter', 'args', 'trace.server'].includes(k));
    assert.deepEqual([...contributed].sort(), [...SERVER_SETTING_KEYS].sort());
    for (const k of RESTART_SETTINGS) {
      assert.ok(k in pkg.contributes.configuration.properties, k);
    }
    assert.equal(pkg.contributes.configuration.properties['gojaguard.diagnosticsDelay'].default, DEFAULT_DIAGNOSTICS_DELAY);
  });
});

describe('server state', () => {
  it('maps language client states', () => {
    assert.equal(serverStateFromClient(ClientState.Starting, false), 'starting');
    assert.equal(serverStateFromClient(ClientState.Running, false), 'running');
    assert.equal(serverStateFromClient(ClientState.Stopped, true), 'stopped');
    assert.equal(serverStateFromClient(ClientState.Stopped, false), 'error');
  });

  it('presents each state distinctly', () => {
    const states: ServerState[] = ['starting', 'running', 'stopped', 'error'];
    const texts = new Set(states.map((s) => statusPresentation(s).text));
    assert.equal(texts.size, states.length);
    for (const s of states) {
      const p = statusPresentation(s, 'detail line');
      assert.match(p.text, /gojaguard/);
      assert.equal(p.accessibilityLabel, `gojaguard server ${s}`);
      assert.match(p.tooltip, new RegExp(`gojaguard: ${s}`));
      assert.match(p.tooltip, /detail line/);
    }
    assert.equal(statusPresentation('running').text, '$(check) gojaguard');
    assert.equal(statusPresentation('starting').text, '$(sync~spin) gojaguard: starting');
    assert.equal(statusPresentation('error').backgroundColor, 'statusBarItem.errorBackground');
    assert.equal(statusPresentation('running').backgroundColor, undefined);
  });
});
