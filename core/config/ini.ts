/**
 * INI files as the reference servers read them (`smp-server.ini`, `file-server.ini`): `[SECTION]`
 * headers, `key = value` lines, `#` or `;` comments. Values are strings; typed readers say what
 * went wrong and where, so an operator can fix the file.
 */

export class IniError extends Error {
  override name = "IniError";
}

export type IniSections = Map<string, Map<string, string>>;

export interface IniEntry {
  readonly value: string;
  readonly line: number;
}

/** The keys a server reads, by section. */
export type IniSchema = Readonly<Record<string, readonly string[]>>;

export class Ini {
  readonly #sections = new Map<string, Map<string, IniEntry>>();
  /** where each section's header was, and keys given more than once (the last one counts) */
  readonly #headers = new Map<string, number>();
  readonly #repeats: { section: string; key: string; line: number }[] = [];

  constructor(readonly path = "<ini>") {}

  static parse(text: string, path?: string): Ini {
    const ini = new Ini(path);
    let section: Map<string, IniEntry> | undefined;
    let sectionName = "";
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
      const header = /^\[([^\]]+)\]$/.exec(line);
      if (header) {
        const name = header[1].trim();
        section = ini.#sections.get(name) ?? new Map();
        ini.#sections.set(name, section);
        if (!ini.#headers.has(name)) ini.#headers.set(name, i + 1);
        sectionName = name;
        return;
      }
      const eq = line.indexOf("=");
      if (eq <= 0) throw new IniError(`${ini.path}:${i + 1}: expected "key = value" or "[SECTION]"`);
      if (!section) {
        throw new IniError(`${ini.path}:${i + 1}: "${line.slice(0, eq).trim()}" is outside any [SECTION]`);
      }
      const key = line.slice(0, eq).trim();
      if (section.has(key)) ini.#repeats.push({ section: sectionName, key, line: i + 1 });
      section.set(key, { value: line.slice(eq + 1).trim(), line: i + 1 });
    });
    return ini;
  }

  has(section: string, key: string): boolean {
    return this.#sections.get(section)?.has(key) ?? false;
  }

  string(section: string, key: string): string | undefined {
    return this.#sections.get(section)?.get(key)?.value;
  }

  /** `path:line: [SECTION] key`, for a message about that key. */
  where(section: string, key: string): string {
    const line = this.#sections.get(section)?.get(key)?.line;
    return `${this.path}${line ? `:${line}` : ""}: [${section}] ${key}`;
  }

  required(section: string, key: string): string {
    const v = this.string(section, key);
    if (v === undefined || v === "") throw new IniError(`${this.path}: [${section}] ${key} is required`);
    return v;
  }

  /** `on`/`off` (also true/false, yes/no). */
  bool(section: string, key: string, fallback: boolean): boolean {
    const v = this.string(section, key);
    if (v === undefined) return fallback;
    if (/^(on|true|yes)$/i.test(v)) return true;
    if (/^(off|false|no)$/i.test(v)) return false;
    throw new IniError(`${this.where(section, key)}: expected on or off, got "${v}"`);
  }

  int(section: string, key: string, fallback: number, min?: number, max?: number): number;
  int(section: string, key: string, fallback?: undefined, min?: number, max?: number): number | undefined;
  int(section: string, key: string, fallback?: number, min = -Infinity, max = Infinity): number | undefined {
    const v = this.string(section, key);
    if (v === undefined || v === "") return fallback;
    if (!/^-?\d+$/.test(v)) {
      throw new IniError(`${this.where(section, key)}: expected a whole number, got "${v}"`);
    }
    const n = Number(v);
    if (n < min || n > max) {
      throw new IniError(`${this.where(section, key)}: ${n} is out of range ${min}..${max}`);
    }
    return n;
  }

  /** A comma-separated list of ports, e.g. `5223,443`. */
  ports(section: string, key: string): number[] {
    const v = this.required(section, key);
    return v.split(",").map((p) => {
      const s = p.trim();
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < 1 || n > 65535) {
        throw new IniError(`${this.where(section, key)}: bad port "${s}"`);
      }
      return n;
    });
  }

  /** One of the allowed words. */
  choice<T extends string>(section: string, key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(section, key);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new IniError(`${this.where(section, key)}: expected one of ${allowed.join(", ")}, got "${v}"`);
    }
    return v as T;
  }

  /**
   * What the server will not use, one warning per line: sections and keys it does not know (often a
   * misspelling), keys of the reference server it ignores (with the reason), and keys set twice.
   */
  warnings(known: IniSchema, ignored: Readonly<Record<string, string>> = {}): string[] {
    const found: { line: number; text: string }[] = [];
    for (const [name, entries] of this.#sections) {
      const keys = known[name];
      if (keys === undefined) {
        const hint = closest(name, Object.keys(known));
        found.push({
          line: this.#headers.get(name) ?? 0,
          text: `unknown section [${name}]${hint ? ` (did you mean [${hint}]?)` : ""}; its keys are ignored`,
        });
        continue;
      }
      for (const [key, entry] of entries) {
        const why = ignored[`${name}.${key}`];
        if (why !== undefined) found.push({ line: entry.line, text: `[${name}] ${key} is ignored: ${why}` });
        else if (!keys.includes(key)) {
          const hint = closest(key, keys);
          found.push({
            line: entry.line,
            text: `unknown key [${name}] ${key}${hint ? ` (did you mean ${hint}?)` : ""}; it is ignored`,
          });
        }
      }
    }
    for (const r of this.#repeats) {
      found.push({ line: r.line, text: `[${r.section}] ${r.key} is set again; the last value counts` });
    }
    return found.sort((a, b) => a.line - b.line).map((w) => `${this.path}:${w.line}: ${w.text}`);
  }

  sections(): IniSections {
    return new Map([...this.#sections].map(([s, m]) => [s, new Map([...m].map(([k, e]) => [k, e.value]))]));
  }
}

/** The known name a misspelt one most likely meant: at most two edits away, ignoring case. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/**
 * The INI text with `[section] key = value` set, keeping every other line and comment: an existing
 * line for the key is replaced (a commented-out one, `# key = …`, when there is no other), else the
 * line goes at the end of the section, else a new section is appended.
 */
export function setIniValue(text: string, section: string, key: string, value: string): string {
  const lines = text.split("\n");
  const line = `${key} = ${value}`;
  const start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) {
    const body = text.endsWith("\n") || text === "" ? text : `${text}\n`;
    return `${body}\n[${section}]\n${line}\n`;
  }
  let end = lines.findIndex((l, i) => i > start && /^\s*\[[^\]]+\]\s*$/.test(l));
  if (end < 0) end = lines.length;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const find = (re: RegExp) => lines.findIndex((l, i) => i > start && i < end && re.test(l));
  let at = find(new RegExp(`^\\s*${escaped}\\s*=`));
  if (at < 0) at = find(new RegExp(`^\\s*[#;]\\s*${escaped}\\s*=`));
  if (at >= 0) lines[at] = line;
  else {
    let last = end - 1;
    while (last > start && lines[last].trim() === "") last--;
    lines.splice(last + 1, 0, line);
  }
  return lines.join("\n");
}
