// Pure logic of the extension: no `vscode` import here, so that it can be unit-tested with
// `node --test` outside VS Code.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The configuration section shared by the extension and the server. */
export const SECTION = 'gojaguard';

/** Settings whose change requires restarting the server process. */
export const RESTART_SETTINGS: readonly string[] = [
  `${SECTION}.path`,
  `${SECTION}.interpreter`,
  `${SECTION}.args`,
];

/** `affects` is ConfigurationChangeEvent.affectsConfiguration (possibly bound to a scope). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SETTINGS.some((s) => affects(s));
}

// ------------------------------------------------------------------------------------------------
// Launch settings -> command line

/** The settings that decide how the server process is launched. */
export interface LaunchSettings {
  /** Command (and leading arguments) to run instead of looking for `gojaguard`. */
  path: string[];
  /** Python interpreter (and its arguments) to run `-m gojaguard` with. */
  interpreter: string[];
  /** Extra arguments appended after `serve`. */
  args: string[];
}

/** Where the command line came from, for the log and the status tooltip. */
export type LaunchSource = 'path' | 'interpreter' | 'onPath' | 'defaultInterpreter';

export interface ServerCommand {
  command: string;
  args: string[];
  source: LaunchSource;
}

/** What the resolution may look at besides the settings (all injectable for tests). */
export interface LaunchEnvironment {
  /** Values for ${workspaceFolder}; undefined when no folder is open. */
  workspaceFolder?: string;
  /** Environment used for ${env:NAME} and the PATH lookup (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Home directory for `~` and ${userHome} (default: os.homedir()). */
  home?: string;
  /** Platform (default: process.platform). */
  platform?: NodeJS.Platform;
  /** Is `file` an executable file? (default: checks the file system). */
  isExecutable?: (file: string) => boolean;
}

/** Name of the console script the Python package installs. */
export const SERVER_SCRIPT = 'gojaguard';
/** Python module run with `<interpreter> -m`. */
export const SERVER_MODULE = 'gojaguard';
/** Subcommand that starts the language server on stdio. */
export const SERVE_SUBCOMMAND = 'serve';

function asStringArray(value: unknown): string[] {
  if (typeof value === 'string') {
    return value.trim() === '' ? [] : [value];
  }
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter((v): v is string => typeof v === 'string');
}

/** Normalise raw configuration values (wrong types become empty lists; a string becomes [string]). */
export function launchSettingsFrom(raw: { path?: unknown; interpreter?: unknown; args?: unknown }): LaunchSettings {
  return {
    path: asStringArray(raw.path).filter((s) => s.trim() !== ''),
    interpreter: asStringArray(raw.interpreter).filter((s) => s.trim() !== ''),
    args: asStringArray(raw.args),
  };
}

/**
 * Substitute ${workspaceFolder}, ${userHome}, ${env:NAME} and a leading `~`, as VS Code users
 * expect in path-like settings. Unknown variables are left as they are.
 */
export function resolveVariables(value: string, environment: LaunchEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const home = environment.home ?? os.homedir();
  let out = value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === 'workspaceFolder' || name === 'workspaceRoot') {
      return environment.workspaceFolder ?? whole;
    }
    if (name === 'userHome') {
      return home;
    }
    if (name.startsWith('env:')) {
      return env[name.slice(4)] ?? '';
    }
    return whole;
  });
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = home + out.slice(1);
  }
  return out;
}

function defaultIsExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) {
      return false;
    }
    if (process.platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Find an executable on PATH (honouring PATHEXT on Windows); undefined if absent. */
export function findOnPath(name: string, environment: LaunchEnvironment = {}): string | undefined {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const isExecutable = environment.isExecutable ?? defaultIsExecutable;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const pathVar = platform === 'win32' ? env.Path ?? env.PATH ?? '' : env.PATH ?? '';
  const exts =
    platform === 'win32'
      ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')]
      : [''];
  for (const dir of pathVar.split(p.delimiter)) {
    if (dir === '') {
      continue;
    }
    for (const ext of exts) {
      const candidate = p.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** Interpreter used when neither `path`, `interpreter` nor a `gojaguard` on PATH is available. */
export function defaultInterpreter(environment: LaunchEnvironment = {}): string {
  const platform = environment.platform ?? process.platform;
  if (platform === 'win32') {
    return 'python';
  }
  return findOnPath('python3', environment) ?? 'python3';
}

/**
 * The command line that starts the server, following the vscode-python-tools-extension-template
 * conventions:
 *   1. `gojaguard.path` set         -> <path...> serve <args...>
 *   2. `gojaguard.interpreter` set  -> <interpreter...> -m gojaguard serve <args...>
 *   3. `gojaguard` found on PATH    -> <found> serve <args...>
 *   4. otherwise                    -> python3 -m gojaguard serve <args...>
 */
export function resolveServerCommand(settings: LaunchSettings, environment: LaunchEnvironment = {}): ServerCommand {
  const sub = (v: string) => resolveVariables(v, environment);
  const extra = settings.args.map(sub);
  if (settings.path.length > 0) {
    const [command, ...rest] = settings.path.map(sub);
    return { command, args: [...rest, SERVE_SUBCOMMAND, ...extra], source: 'path' };
  }
  if (settings.interpreter.length > 0) {
    const [command, ...rest] = settings.interpreter.map(sub);
    return { command, args: [...rest, '-m', SERVER_MODULE, SERVE_SUBCOMMAND, ...extra], source: 'interpreter' };
  }
  const onPath = findOnPath(SERVER_SCRIPT, environment);
  if (onPath !== undefined) {
    return { command: onPath, args: [SERVE_SUBCOMMAND, ...extra], source: 'onPath' };
  }
  return {
    command: defaultInterpreter(environment),
    args: ['-m', SERVER_MODULE, SERVE_SUBCOMMAND, ...extra],
    source: 'defaultInterpreter',
  };
}

/** A shell-like rendering of a command line, for the log. */
export function formatCommandLine(cmd: { command: string; args: string[] }): string {
  const quote = (s: string) => (s === '' || /[^\w@%+=:,./\\-]/.test(s) ? `'${s.replace(/'/g, `'\\''`)}'` : s);
  return [cmd.command, ...cmd.args].map(quote).join(' ');
}

// ------------------------------------------------------------------------------------------------
// Server settings (initializationOptions and workspace/configuration for section "gojaguard")

export const RULE_SEVERITIES = ['off', 'error', 'warning', 'information', 'hint'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];
export const LOCALES = ['auto', 'en', 'zh-cn'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_DIAGNOSTICS_DELAY = 150;

/** The settings the server reads. */
export interface ServerSettings {
  rules: Record<string, RuleSeverity>;
  diagnosticsDelay: number;
  enginePaths: string[];
  ownerFunctions: string[];
  offOwnerFunctions: string[];
  exclude: string[];
  locale: Locale;
}

export const SERVER_SETTING_KEYS: readonly (keyof ServerSettings)[] = [
  'rules',
  'diagnosticsDelay',
  'enginePaths',
  'ownerFunctions',
  'offOwnerFunctions',
  'exclude',
  'locale',
];

/**
 * Build the server's settings object from raw configuration values (`get(key)` of the
 * `gojaguard` section). Values of the wrong type fall back to the defaults; rule severities are
 * lower-cased ("Warning" -> "warning", "info" -> "information") and unknown ones dropped.
 */
export function serverSettingsFrom(get: (key: keyof ServerSettings) => unknown): ServerSettings {
  const rules: Record<string, RuleSeverity> = {};
  const rawRules = get('rules');
  if (rawRules !== null && typeof rawRules === 'object' && !Array.isArray(rawRules)) {
    for (const [id, sev] of Object.entries(rawRules as Record<string, unknown>)) {
      if (typeof sev !== 'string') {
        continue;
      }
      let s = sev.trim().toLowerCase();
      if (s === 'info') {
        s = 'information';
      } else if (s === 'warn') {
        s = 'warning';
      }
      if ((RULE_SEVERITIES as readonly string[]).includes(s)) {
        rules[id] = s as RuleSeverity;
      }
    }
  }
  const delay = get('diagnosticsDelay');
  const locale = typeof get('locale') === 'string' ? (get('locale') as string).toLowerCase() : 'auto';
  return {
    rules,
    diagnosticsDelay:
      typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? delay : DEFAULT_DIAGNOSTICS_DELAY,
    enginePaths: asStringArray(get('enginePaths')),
    ownerFunctions: asStringArray(get('ownerFunctions')),
    offOwnerFunctions: asStringArray(get('offOwnerFunctions')),
    exclude: asStringArray(get('exclude')),
    locale: (LOCALES as readonly string[]).includes(locale) ? (locale as Locale) : 'auto',
  };
}

// ------------------------------------------------------------------------------------------------
// Server state -> status bar

export type ServerState = 'starting' | 'running' | 'stopped' | 'error';

/** vscode-languageclient's `State` enum values (Stopped = 1, Running = 2, Starting = 3). */
export const ClientState = { Stopped: 1, Running: 2, Starting: 3 } as const;

/**
 * Map a language client state change to the server state shown to the user. A stop that the
 * extension did not ask for (crash, failed start) is an error.
 */
export function serverStateFromClient(clientState: number, stopRequested: boolean): ServerState {
  switch (clientState) {
    case ClientState.Starting:
      return 'starting';
    case ClientState.Running:
      return 'running';
    default:
      return stopRequested ? 'stopped' : 'error';
  }
}

export interface StatusPresentation {
  /** Status bar text, with a codicon. */
  text: string;
  /** Hover text. */
  tooltip: string;
  /** Screen reader label; also what end-to-end tests look for. */
  accessibilityLabel: string;
  /** ThemeColor id for the background, if the state needs attention. */
  backgroundColor?: 'statusBarItem.errorBackground' | 'statusBarItem.warningBackground';
}

const ICONS: Record<ServerState, string> = {
  starting: '$(sync~spin)',
  running: '$(check)',
  stopped: '$(circle-slash)',
  error: '$(error)',
};

export function statusPresentation(state: ServerState, detail?: string): StatusPresentation {
  const label = `gojaguard server ${state}`;
  const text = state === 'running' ? `${ICONS[state]} gojaguard` : `${ICONS[state]} gojaguard: ${state}`;
  const lines = [`gojaguard: ${state}`];
  if (detail) {
    lines.push(detail);
  }
  lines.push('Click to show the output.');
  return {
    text,
    tooltip: lines.join('\n'),
    accessibilityLabel: label,
    backgroundColor:
      state === 'error' ? 'statusBarItem.errorBackground' : state === 'stopped' ? 'statusBarItem.warningBackground' : undefined,
  };
}
