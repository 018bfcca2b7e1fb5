// Electron security scan of the shell (main/) with electronegativity, which exits 0 whatever it
// finds: this gate reads its findings and fails on any HIGH one. Its SARIF (kept as an artifact)
// carries no severity in version 1.10, so the severity of each finding is taken from the CSV of
// the same scan, matched by rule, file and line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electron = require('electron/package.json').version;
fs.mkdirSync('test/artifacts', { recursive: true });
const scan = (out) => execFileSync('npx', ['electronegativity', '-i', 'main', '-e', electron, '-r', '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
scan('test/artifacts/electronegativity.sarif');
scan('test/artifacts/electronegativity.csv');

const sarif = JSON.parse(fs.readFileSync('test/artifacts/electronegativity.sarif', 'utf8'));
const csv = fs.readFileSync('test/artifacts/electronegativity.csv', 'utf8').trim().split('\n').slice(1);
const severity = new Map();
for (const line of csv) {
  const [id, sev, , file, location] = line.match(/("([^"]|"")*"|[^,]*)/g).filter((_, i) => i % 2 === 0).map((c) => c.replace(/^"|"$/g, ''));
  severity.set(`${id}|${file === 'N/A' ? 'file:///' : file}|${Math.max(1, Number(location.split(':')[0]))}`, sev);
}
const findings = sarif.runs[0].results.map((r) => {
  const loc = r.locations[0].physicalLocation;
  const key = `${r.ruleId}|${loc.artifactLocation.uri}|${loc.region.startLine}`;
  return { rule: r.ruleId, where: `${loc.artifactLocation.uri}:${loc.region.startLine}`, severity: severity.get(key) ?? 'UNKNOWN' };
});
for (const f of findings) console.log(`electronegativity: ${f.severity.padEnd(13)} ${f.rule} ${f.where}`);
const high = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'UNKNOWN');
console.log(`electronegativity: ${findings.length} findings, ${high.length} HIGH (or unmatched)`);
if (high.length > 0) process.exit(1);
