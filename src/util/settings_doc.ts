// docs/settings.md, rendered from the settings registry (settings.ts). test/unit/settings.test.ts
// fails when the file and the registry disagree; `npx vitest run test/unit/settings.test.ts -u`
// rewrites the file.
import { allowed, SETTINGS, type SettingSpec } from './settings.js';

const HEADER = `# Settings

Every \`DAWNFLOW_*\` environment variable dawnflow reads. An empty value counts as unset; an
invalid one stops the command with one line naming the variable and the values it takes, and the
CLI warns about \`DAWNFLOW_*\` names that are not listed here. Command-line flags, where one exists,
win over the variable.

This file is generated from \`src/util/settings.ts\` (the one registry every read goes through):
edit the registry, then run \`npx vitest run test/unit/settings.test.ts -u\`.
`;

const TABLE_HEAD = '| Variable | Values | Default | What it does | Read by |\n|---|---|---|---|---|';

function defaultText(spec: SettingSpec): string {
  if (spec.unset) return spec.unset;
  if (spec.kind === 'flag') return '0';
  return String(spec.default);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(name: string, spec: SettingSpec): string {
  const readers = spec.readers.map((r) => `\`${r}\``).join(', ');
  const cells = [`\`${name}\``, allowed(spec), defaultText(spec), spec.description].map(cell);
  return `| ${cells.join(' | ')} | ${readers} |`;
}

function table(testOnly: boolean): string {
  const rows = Object.entries(SETTINGS as Record<string, SettingSpec>)
    .filter(([, s]) => Boolean(s.testOnly) === testOnly)
    .map(([name, s]) => row(name, s));
  return [TABLE_HEAD, ...rows].join('\n');
}

/** The whole of docs/settings.md. */
export function settingsMarkdown(): string {
  return [
    HEADER,
    '## User settings\n',
    table(false),
    '\n## Test-only settings\n',
    'Read by the test suites and the fault points they drive; not for normal runs.\n',
    table(true),
    '',
  ].join('\n');
}
