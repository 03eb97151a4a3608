// Owns the server's settings: `loopscope.rules.<code>.severity`, read from initializationOptions,
// workspace/configuration or a didChangeConfiguration push. Bad values are reported once, naming
// the setting and where it came from, and fall back to the rule's default.
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { RULE_CODES, RuleCode } from './analysis/rules';

export const CONFIG_SECTION = 'loopscope';

export type Severity = 'error' | 'warning' | 'information' | 'hint' | 'off';
export type Severities = Readonly<Record<RuleCode, Severity>>;

export const DEFAULT_SEVERITIES: Severities = {
  'never-awaited': 'warning',
  'coroutine-in-condition': 'warning',
  'coroutine-misused': 'error',
  'dangling-task': 'warning',
  'blocking-call-in-async': 'warning',
};

const LSP_SEVERITY: Record<Exclude<Severity, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Where a settings object came from, for messages about bad values. */
export type SettingsOrigin = 'initializationOptions' | 'workspace/configuration' | 'workspace/didChangeConfiguration';

/** The `loopscope` section as clients send it (unchecked). */
export interface RawSettings {
  rules?: Partial<Record<string, { severity?: unknown } | undefined>>;
}

/** Parses raw settings; every value that cannot be used yields one message in `problems`. */
export function parseSettings(raw: unknown, origin: SettingsOrigin): { severities: Severities; problems: string[] } {
  const next: Record<RuleCode, Severity> = { ...DEFAULT_SEVERITIES };
  const problems: string[] = [];
  const rules = isObject(raw) && isObject(raw.rules) ? raw.rules : undefined;
  for (const code of RULE_CODES) {
    const rule = rules?.[code];
    const value = isObject(rule) ? rule.severity : undefined;
    if (value === undefined || value === null) continue;
    const parsed = parseSeverity(value);
    if (parsed) next[code] = parsed;
    else problems.push(`ignoring ${CONFIG_SECTION}.rules.${code}.severity = ${JSON.stringify(value)} from ${origin} (expected error, warning, information, hint or off); using ${DEFAULT_SEVERITIES[code]}`);
  }
  return { severities: next, problems };
}

function parseSeverity(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  const norm = value.trim().toLowerCase();
  if (norm === 'info') return 'information';
  if (norm === 'error' || norm === 'warning' || norm === 'information' || norm === 'hint' || norm === 'off') return norm;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The LSP severity of a rule, or undefined when the rule is switched off. */
export function lspSeverity(severities: Severities, code: RuleCode): DiagnosticSeverity | undefined {
  const s = severities[code] ?? 'warning';
  return s === 'off' ? undefined : LSP_SEVERITY[s];
}

/**
 * The settings in force. Without workspace/configuration, initializationOptions stay in force
 * until a didChangeConfiguration push replaces them.
 */
export class SettingsStore {
  private current: Severities = DEFAULT_SEVERITIES;

  constructor(private readonly report: (message: string) => void) {}

  get severities(): Severities {
    return this.current;
  }

  enabled(code: RuleCode): boolean {
    return this.current[code] !== 'off';
  }

  apply(raw: unknown, origin: SettingsOrigin): void {
    const { severities, problems } = parseSettings(raw, origin);
    for (const p of problems) this.report(p);
    this.current = severities;
  }

  /** A didChangeConfiguration push carries every section; only ours counts. */
  applyPush(settings: unknown): void {
    const section = isObject(settings) ? settings[CONFIG_SECTION] : undefined;
    this.apply(section, 'workspace/didChangeConfiguration');
  }
}
