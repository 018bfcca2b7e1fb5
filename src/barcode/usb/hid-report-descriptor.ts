/**
 * Just enough of a HID report descriptor parser (Device Class Definition for HID 1.11, §6.2.2) to
 * tell what an interface is: its top-level application collections (usage page + usage: Generic
 * Desktop/Keyboard 0x01/0x06, or the Bar Code Scanner page 0x8C) and which report IDs their input
 * reports carry. The interface class/subclass/protocol alone cannot say this: a HID POS scanner is
 * a plain "HID, no subclass" interface, exactly like a report-protocol keyboard.
 */

import type { ScannerMode } from './status.js';

export const usagePages = { genericDesktop: 0x01, barCodeScanner: 0x8c } as const;
export const keyboardUsage = 0x06;

export interface HidApplication {
  usagePage: number;
  usage: number;
  /** Report IDs of the input reports inside this collection; empty when the device uses none. */
  inputReportIds: number[];
}

export interface HidReportInfo {
  applications: HidApplication[];
  /** True when any report carries a leading report-ID byte. */
  usesReportIds: boolean;
}

export function parseReportDescriptor(bytes: Uint8Array): HidReportInfo {
  const applications: HidApplication[] = [];
  let usagePage = 0;
  let reportId: number | null = null;
  const globalsStack: Array<{ usagePage: number; reportId: number | null }> = [];
  let usages: Array<{ page: number; id: number }> = [];
  let depth = 0;
  let current: HidApplication | null = null;
  let usesReportIds = false;

  let i = 0;
  while (i < bytes.length) {
    const prefix = bytes[i]!;
    if (prefix === 0xfe) {
      // Long item: size, tag, data. None is defined by the spec; skip it.
      i += 3 + (bytes[i + 1] ?? 0);
      continue;
    }
    const size = [0, 1, 2, 4][prefix & 0x03]!;
    const type = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    let data = 0;
    for (let b = 0; b < size; b++) data |= (bytes[i + 1 + b] ?? 0) << (8 * b);
    data >>>= 0;
    i += 1 + size;

    if (type === 1) {
      if (tag === 0x0) usagePage = data & 0xffff;
      else if (tag === 0x8) {
        reportId = data & 0xff;
        usesReportIds = true;
      } else if (tag === 0xa) globalsStack.push({ usagePage, reportId });
      else if (tag === 0xb) ({ usagePage, reportId } = globalsStack.pop() ?? { usagePage, reportId });
    } else if (type === 2) {
      // A 4-byte usage carries its own page in the high half (an "extended usage").
      if (tag === 0x0) usages.push(size === 4 ? { page: data >>> 16, id: data & 0xffff } : { page: usagePage, id: data });
    } else if (type === 0) {
      if (tag === 0xa) {
        if (depth === 0 && data === 0x01) {
          const u = usages[0] ?? { page: usagePage, id: 0 };
          current = { usagePage: u.page, usage: u.id, inputReportIds: [] };
          applications.push(current);
        }
        depth++;
      } else if (tag === 0xc) {
        depth = Math.max(0, depth - 1);
        if (depth === 0) current = null;
      } else if (tag === 0x8 && current && reportId !== null && !current.inputReportIds.includes(reportId)) {
        current.inputReportIds.push(reportId);
      }
      // Local items apply to the next main item only.
      usages = [];
    }
  }
  return { applications, usesReportIds };
}


/** What reading an interface in a mode needs to know about its reports. */
export interface InterfaceReading {
  mode: ScannerMode;
  /** Whether each report starts with a report-ID byte. */
  includesReportId: boolean;
  /** The report ID to decode (others, e.g. a consumer-control report, are ignored); null = every report. */
  reportId: number | null;
  /** A boot keyboard: SET_PROTOCOL(boot) makes its reports the fixed 8-byte layout. */
  boot: boolean;
}

/**
 * How an interface can be read in `mode` (or in either, for 'auto', preferring POS, whose data
 * does not depend on a keyboard layout), or null when it is not a scanner interface (a mouse, a
 * vendor or consumer-control interface). `report` is null when the descriptor could not be read;
 * then only the interface's boot-keyboard protocol — or an explicit 'pos' in the config — decides.
 */
export function readingFor(
  iface: { class: number; subclass: number; protocol: number },
  report: HidReportInfo | null,
  mode: ScannerMode | 'auto',
): InterfaceReading | null {
  if (iface.class !== 3) return null;
  const bootKeyboard = iface.subclass === 1 && iface.protocol === 1;
  const pos = report?.applications.find((a) => a.usagePage === usagePages.barCodeScanner);
  const keyboard = report?.applications.find((a) => a.usagePage === usagePages.genericDesktop && a.usage === keyboardUsage);

  if (mode !== 'keyboard' && (pos || (report === null && mode === 'pos' && !bootKeyboard))) {
    // The Scanned Data Report is ID 2 on the scanners pos-scanner.ts follows; take it when declared.
    const ids = pos?.inputReportIds ?? [];
    const reportId = ids.includes(0x02) || ids.length === 0 ? 0x02 : ids[0]!;
    return { mode: 'pos', includesReportId: report?.usesReportIds ?? true, reportId, boot: false };
  }
  if (mode === 'pos') return null;
  if (bootKeyboard) {
    // In boot protocol there are no report IDs, whatever the report descriptor says.
    return { mode: 'keyboard', includesReportId: false, reportId: null, boot: true };
  }
  if (keyboard) {
    const usesIds = report?.usesReportIds ?? false;
    return { mode: 'keyboard', includesReportId: usesIds, reportId: usesIds ? (keyboard.inputReportIds[0] ?? null) : null, boot: false };
  }
  return null;
}
