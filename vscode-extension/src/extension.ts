// VS Code client for the gojaguard language server (a Python program: `gojaguard serve`, LSP on
// stdio). The launch conventions follow Microsoft's vscode-python-tools-extension-template.

import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandler,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import {
  SECTION,
  SERVER_SETTING_KEYS,
  ServerCommand,
  ServerSettings,
  ServerState,
  formatCommandLine,
  launchSettingsFrom,
  needsRestart,
  resolveServerCommand,
  serverSettingsFrom,
  serverStateFromClient,
  statusPresentation,
} from './core';

const CLIENT_ID = 'gojaguard';
const CLIENT_NAME = 'gojaguard';
const STOP_TIMEOUT_MS = 2000;

let output: vscode.OutputChannel;
let statusItem: vscode.StatusBarItem;
let client: LanguageClient | undefined;
let currentCommand: ServerCommand | undefined;
let stopRequested = false;
/** Serialises start/stop/restart so that overlapping requests do not race. */
let queue: Promise<unknown> = Promise.resolve();

function log(message: string): void {
  output.appendLine(`[${new Date().toISOString()}] ${message}`);
}

function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

function setState(state: ServerState, detail?: string): void {
  const p = statusPresentation(state, detail);
  statusItem.text = p.text;
  statusItem.tooltip = p.tooltip;
  statusItem.accessibilityInformation = { label: p.accessibilityLabel };
  statusItem.backgroundColor = p.backgroundColor ? new vscode.ThemeColor(p.backgroundColor) : undefined;
  statusItem.show();
}

/** The server's settings for a scope (a document or folder URI), as sent to the server. */
function serverSettings(scope?: vscode.Uri | vscode.WorkspaceFolder): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return serverSettingsFrom((key) => config.get(key));
}

function resolveCommand(): ServerCommand {
  const folder = firstFolder();
  const config = vscode.workspace.getConfiguration(SECTION, folder);
  const settings = launchSettingsFrom({
    path: config.get('path'),
    interpreter: config.get('interpreter'),
    args: config.get('args'),
  });
  return resolveServerCommand(settings, { workspaceFolder: folder?.uri.fsPath });
}

function createClient(cmd: ServerCommand): LanguageClient {
  const folder = firstFolder();
  const executable = {
    command: cmd.command,
    args: cmd.args,
    // no `transport`: stdio all the same, but without vscode-languageclient appending `--stdio`
    options: {
      cwd: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
    },
  };
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  let defaultHandler: ErrorHandler | undefined;
  let reachedRunning = false;
  const errorHandler: ErrorHandler = {
    error: (error, message, count) => {
      log(`connection error: ${error.message}`);
      return defaultHandler ? defaultHandler.error(error, message, count) : { action: ErrorAction.Continue };
    },
    closed: async () => {
      if (!reachedRunning && !stopRequested) {
        // died before answering `initialize` (not installed, bad arguments, import error): a
        // restart would fail the same way. startClient() reports it.
        log('server exited during startup; not restarting it');
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      const result = defaultHandler ? await defaultHandler.closed() : { action: CloseAction.DoNotRestart };
      if (!stopRequested) {
        log(result.action === CloseAction.Restart ? 'server exited; restarting it' : 'server exited; not restarting it');
        if (result.action === CloseAction.DoNotRestart) {
          setState('error', 'The server exited. Run "gojaguard: Restart Server" after fixing the cause.');
        }
      }
      return result;
    },
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'go' },
      { scheme: 'untitled', language: 'go' },
    ],
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    // the same object that workspace/configuration returns for section `gojaguard`
    initializationOptions: serverSettings(folder),
    synchronize: {
      // workspace/didChangeConfiguration when anything under `gojaguard` changes
      configurationSection: SECTION,
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{go.mod,go.work,.gojaguard.toml}'),
    },
    middleware: {
      workspace: {
        // workspace/didChangeConfiguration carries { gojaguard: <normalised settings> } rather than
        // the raw section (which also holds the client's launch settings)
        didChangeConfiguration: async (sections, next) => {
          const c = client;
          if (c && sections !== undefined && sections.length === 1 && sections[0] === SECTION) {
            await c.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { [SECTION]: serverSettings(firstFolder()) },
            });
            return;
          }
          return next(sections);
        },
        // Answer workspace/configuration for section `gojaguard` with the same normalised object
        // that initializationOptions carries (launch settings are the client's business).
        configuration: async (params, token, next) => {
          const results = await next(params, token);
          if (!Array.isArray(results)) {
            return results;
          }
          return params.items.map((item, i) => {
            if (item.section !== SECTION) {
              return results[i];
            }
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return serverSettings(scope);
          });
        },
      },
    },
  };

  const c = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  defaultHandler = c.createDefaultErrorHandler(4);
  c.onDidChangeState((e) => {
    if (e.newState === State.Running) {
      reachedRunning = true;
    }
    // ignore events of a client that has been replaced
    if (c !== client) {
      return;
    }
    const state = serverStateFromClient(e.newState, stopRequested);
    if (state === 'error' && statusItem.text.includes('error')) {
      return; // keep the more specific message set by the error handler
    }
    setState(state, state === 'running' || state === 'starting' ? formatCommandLine(cmd) : undefined);
  });
  return c;
}

async function stopClient(): Promise<void> {
  const c = client;
  if (!c) {
    return;
  }
  stopRequested = true;
  try {
    if (c.state !== State.Stopped) {
      await c.stop(STOP_TIMEOUT_MS);
    }
  } catch (e) {
    log(`error while stopping the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    await c.dispose(STOP_TIMEOUT_MS);
  } catch {
    // already stopped
  }
  if (client === c) {
    client = undefined;
  }
  setState('stopped');
}

async function startClient(): Promise<void> {
  const cmd = resolveCommand();
  currentCommand = cmd;
  log(`starting server (${cmd.source}): ${formatCommandLine(cmd)}`);
  stopRequested = false;
  setState('starting', formatCommandLine(cmd));
  const c = createClient(cmd);
  client = c;
  try {
    await c.start();
    if (!c.isRunning()) {
      // start() can resolve although the server died during initialization
      throw new Error('the server exited during startup (see the output above)');
    }
    log('server running');
    setState('running', formatCommandLine(cmd));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`failed to start the server: ${msg}`);
    setState('error', `Failed to start: ${formatCommandLine(cmd)}\n${msg}`);
    const hint =
      cmd.source === 'defaultInterpreter' || cmd.source === 'interpreter'
        ? 'Install it with `pip install gojaguard` into that Python, or set "gojaguard.path".'
        : 'Check the "gojaguard.path" setting.';
    void vscode.window
      .showErrorMessage(`gojaguard: could not start the language server (${msg}). ${hint}`, 'Show Output', 'Open Settings')
      .then((choice) => {
        if (choice === 'Show Output') {
          output.show(true);
        } else if (choice === 'Open Settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
        }
      });
  }
}

function enqueue(task: () => Promise<void>): Promise<void> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

function restart(reason: string): Promise<void> {
  return enqueue(async () => {
    log(`restarting server: ${reason}`);
    await stopClient();
    await startClient();
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('gojaguard');
  statusItem = vscode.window.createStatusBarItem('gojaguard.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = 'gojaguard';
  statusItem.command = 'gojaguard.showOutput';
  context.subscriptions.push(output, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand('gojaguard.restart', () => restart('restart command')),
    vscode.commands.registerCommand('gojaguard.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (needsRestart((s) => e.affectsConfiguration(s))) {
        void restart('launch settings changed');
      } else if (SERVER_SETTING_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        log('settings changed; sent to the server');
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      // the first folder decides the launch settings and the server's working directory
      const cmd = resolveCommand();
      if (!currentCommand || formatCommandLine(cmd) !== formatCommandLine(currentCommand)) {
        void restart('workspace folders changed');
      }
    }),
  );

  log(`gojaguard extension ${context.extension.packageJSON.version} activated (VS Code ${vscode.version})`);
  await enqueue(startClient);
}

export async function deactivate(): Promise<void> {
  await enqueue(stopClient);
}
