/** The `SECTION.key`s a configuration parser reads, recorded from its calls to the INI reader. */
import { Ini } from "../../core/config/ini.ts";

export function keysRead(parse: () => unknown): Set<string> {
  const read = new Set<string>();
  const { string, has } = Ini.prototype;
  Ini.prototype.string = function (section: string, key: string) {
    read.add(`${section}.${key}`);
    return string.call(this, section, key);
  };
  Ini.prototype.has = function (section: string, key: string) {
    read.add(`${section}.${key}`);
    return has.call(this, section, key);
  };
  try {
    parse();
  } finally {
    Object.assign(Ini.prototype, { string, has });
  }
  return read;
}
