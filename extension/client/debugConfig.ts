// Debugging in one keystroke: the `loopscope` DebugConfigurationProvider (F5 on a Python file with
// no launch.json, interpreter from the Python extension or settings), and the descriptor factory
// that runs `dist/adapter.js` with the extension host's own Node runtime.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { LaunchError, probePython } from '../core/launcher';
import {
  currentFileConfiguration, DEBUG_TYPE, type LoopscopeSettings, resolveConfiguration,
} from './launchConfig';

export function readSettings(scope?: vscode.ConfigurationScope): LoopscopeSettings {
  const cfg = vscode.workspace.getConfiguration('loopscope', scope);
  return {
    python: cfg.get<string>('python', ''),
    pythonScope: settingScope(cfg.inspect<string>('python')),
    blockingThresholdMs: cfg.get<number>('blockingThresholdMs', 100),
    justMyCode: cfg.get<boolean>('justMyCode', true),
  };
}

/** Which settings file a value came from, in the words of the Settings editor. */
function settingScope(i: ReturnType<vscode.WorkspaceConfiguration['inspect']>): string {
  const remote = vscode.env.remoteName ? ` or Remote [${vscode.env.remoteName}] settings` : '';
  if (i?.workspaceFolderValue !== undefined) return 'Folder settings (.vscode/settings.json)';
  if (i?.workspaceValue !== undefined) return vscode.workspace.workspaceFile ? 'Workspace settings (.code-workspace)' : 'Workspace settings (.vscode/settings.json)';
  if (i?.globalValue !== undefined) return `User settings${remote}`;
  return 'settings';
}

/** Minimal shape of ms-python.python's public environments API (only what we call). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter selected in the Python extension, or undefined when it is absent or unsure. */
export async function pythonFromExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    const active = envs?.getActiveEnvironmentPath(resource);
    if (!envs || !active?.path) return undefined;
    const resolved = envs.resolveEnvironment ? await envs.resolveEnvironment(active) : undefined;
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

export class LoopscopeConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [
      { ...currentFileConfiguration('${file}'), name: 'Loopscope: Current File' } as vscode.DebugConfiguration,
      {
        type: DEBUG_TYPE, request: 'launch', name: 'Loopscope: Current File (stop on entry)',
        program: '${file}', stopOnEntry: true,
      },
    ];
  }

  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined | null> {
    const editor = vscode.window.activeTextEditor;
    const scope = folder?.uri ?? editor?.document.uri;
    const result = resolveConfiguration(config, {
      settings: readSettings(scope),
      pythonFromExtension: config.python ? undefined : await pythonFromExtension(scope),
      activeFile: editor && {
        path: editor.document.uri.fsPath, languageId: editor.document.languageId, isUntitled: editor.document.isUntitled,
      },
    });
    if ('error' in result) {
      // Returning undefined aborts the launch silently; say why instead.
      void vscode.window.showErrorMessage(result.error);
      return undefined;
    }
    if (editor?.document.isDirty && result.config.program === editor.document.uri.fsPath) await editor.document.save();
    return result.config as vscode.DebugConfiguration;
  }

  /** Checks the interpreter here, where we still know which setting chose it, so the error can say so. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (config.request !== 'launch' || typeof config.python !== 'string') return config;
    try {
      await probePython(config.python, typeof config.pythonSource === 'string' ? config.pythonSource : '"python"');
    } catch (e) {
      if (!(e instanceof LaunchError)) throw e;
      void vscode.window.showErrorMessage(`Loopscope: ${e.message}`);
      return undefined;
    }
    return config;
  }
}

export class LoopscopeAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionUri: vscode.Uri) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const adapter = vscode.Uri.joinPath(this.extensionUri, 'dist', 'adapter.js').fsPath;
    if (!fs.existsSync(adapter)) {
      throw new Error(`Loopscope's debug adapter is missing (${adapter}). Reinstall the extension, or run "npm run build" in a development checkout.`);
    }
    // The extension host's executable is Node (code-server) or Electron; ELECTRON_RUN_AS_NODE makes
    // the latter behave as Node too, so users need no separate Node installation.
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }
}

export function registerDebugging(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new LoopscopeConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new LoopscopeAdapterFactory(context.extensionUri)),
    // Lists "Loopscope: Current File" under "Loopscope (asyncio)…" in the Run and Debug picker.
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: () => [currentFileConfiguration('${file}') as vscode.DebugConfiguration],
    }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
  );
}

/** "Loopscope: Debug Current File": same as F5 without launch.json, from any state. */
export async function debugCurrentFile(resource?: vscode.Uri): Promise<void> {
  const doc = resource
    ? await vscode.workspace.openTextDocument(resource)
    : vscode.window.activeTextEditor?.document;
  if (!doc || doc.languageId !== 'python') {
    void vscode.window.showErrorMessage('Loopscope: open a Python file first, then run "Loopscope: Debug Current File".');
    return;
  }
  if (doc.isUntitled) {
    void vscode.window.showErrorMessage('Loopscope: save this Python file before debugging it.');
    return;
  }
  if (doc.isDirty) await doc.save();
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  await vscode.debug.startDebugging(folder, currentFileConfiguration(doc.uri.fsPath) as vscode.DebugConfiguration);
}
