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

export class Ini {
  readonly #sections = new Map<string, Map<string, IniEntry>>();

  constructor(readonly path = "<ini>") {}

  static parse(text: string, path?: string): Ini {
    const ini = new Ini(path);
    let section: Map<string, IniEntry> | undefined;
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
      const header = /^\[([^\]]+)\]$/.exec(line);
      if (header) {
        const name = header[1].trim();
        section = ini.#sections.get(name) ?? new Map();
        ini.#sections.set(name, section);
        return;
      }
      const eq = line.indexOf("=");
      if (eq <= 0) throw new IniError(`${ini.path}:${i + 1}: expected "key = value" or "[SECTION]"`);
      if (!section) {
        throw new IniError(`${ini.path}:${i + 1}: "${line.slice(0, eq).trim()}" is outside any [SECTION]`);
      }
      section.set(line.slice(0, eq).trim(), { value: line.slice(eq + 1).trim(), line: i + 1 });
    });
    return ini;
  }

  has(section: string, key: string): boolean {
    return this.#sections.get(section)?.has(key) ?? false;
  }

  string(section: string, key: string): string | undefined {
    return this.#sections.get(section)?.get(key)?.value;
  }

  #where(section: string, key: string): string {
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
    throw new IniError(`${this.#where(section, key)}: expected on or off, got "${v}"`);
  }

  int(section: string, key: string, fallback: number, min?: number, max?: number): number;
  int(section: string, key: string, fallback?: undefined, min?: number, max?: number): number | undefined;
  int(section: string, key: string, fallback?: number, min = -Infinity, max = Infinity): number | undefined {
    const v = this.string(section, key);
    if (v === undefined || v === "") return fallback;
    if (!/^-?\d+$/.test(v)) {
      throw new IniError(`${this.#where(section, key)}: expected a whole number, got "${v}"`);
    }
    const n = Number(v);
    if (n < min || n > max) {
      throw new IniError(`${this.#where(section, key)}: ${n} is out of range ${min}..${max}`);
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
        throw new IniError(`${this.#where(section, key)}: bad port "${s}"`);
      }
      return n;
    });
  }

  /** One of the allowed words. */
  choice<T extends string>(section: string, key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(section, key);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new IniError(`${this.#where(section, key)}: expected one of ${allowed.join(", ")}, got "${v}"`);
    }
    return v as T;
  }

  sections(): IniSections {
    return new Map([...this.#sections].map(([s, m]) => [s, new Map([...m].map(([k, e]) => [k, e.value]))]));
  }
}
