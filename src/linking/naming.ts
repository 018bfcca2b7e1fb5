/** Where a linked capture belongs in the library: the template filled in for it, made unique. */
import fs from 'node:fs';
import path from 'node:path';
import type { LinkingConfig } from '../config/schema.js';
import { freeName } from '../filing/move.js';
import { defaultNamePolicy } from '../filing/sanitize.js';
import { parseTemplate, renderTemplate, resolveInside, type NamingTemplate, type TemplateValues } from '../filing/template.js';
import type { CaptureRecord } from '../store/captures.js';
import type { SessionStore } from '../store/sessions.js';
import type { LinkStore } from './store.js';

export class LibraryNaming {
  private readonly template: NamingTemplate;

  constructor(
    private readonly config: LinkingConfig,
    private readonly library: string,
    private readonly stationId: string,
    private readonly links: LinkStore,
    private readonly sessions: SessionStore,
  ) {
    this.template = parseTemplate(config.template);
  }

  /**
   * A free absolute path for `capture` as `link` names it. Free means: no file there and no other
   * move promised it; `keep` is a path the caller already owns (its own current name), which is
   * returned unchanged when the template gives it again.
   */
  async destination(capture: CaptureRecord, link: { barcode: string; seq: number; view: string | null }, keep?: string): Promise<string> {
    const rel = renderTemplate(this.template, this.values(capture, link), { ...defaultNamePolicy, allowSpaces: this.config.allowSpaces });
    const wanted = resolveInside(this.library, rel);
    if (keep !== undefined && wanted === keep) return keep;
    return freeName(wanted, async (f) => f !== keep && (fs.existsSync(f) || this.links.isPlannedDestination(f)));
  }

  private values(capture: CaptureRecord, link: { barcode: string; seq: number; view: string | null }): TemplateValues {
    const at = new Date(capture.detectedAt);
    const pad = (n: number) => String(n).padStart(2, '0');
    const base = path.posix.basename(capture.relPath);
    const ext = path.posix.extname(base);
    // Who shot it, as it was then; the config's names are for captures shot outside a session.
    const session = this.sessions.ofCapture(capture.id);
    return {
      barcode: link.barcode,
      seq: link.seq,
      view: link.view ?? '',
      date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
      time: `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`,
      station: this.stationId,
      operator: session?.operator ?? this.config.operator,
      project: session?.project || this.config.project,
      source: capture.sourceId,
      original: base.slice(0, base.length - ext.length),
      ext,
    };
  }
}
