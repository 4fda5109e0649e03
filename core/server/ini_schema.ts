/**
 * The INI sections both servers read alike, for the warnings a server prints at start about lines
 * it will not use (`Ini.warnings`). Each server adds its own sections to these.
 */
import type { Ini, IniSchema } from "../config/ini.ts";
import { INFORMATION_KEYS } from "./info_page.ts";

export const SHARED_INI_SECTIONS: IniSchema = {
  INFORMATION: INFORMATION_KEYS.map(([key]) => key),
  INACTIVE_CLIENTS: ["disconnect", "ttl", "check_interval"],
  WEB: ["static_path", "http", "https", "cert", "key"],
  ADMIN: ["port", "bind", "admin_password", "user_password", "metrics_token", "cert", "key"],
};

/** The reference's PostgreSQL settings, which neither server here uses. */
export const REFERENCE_DATABASE_KEYS = ["db_connection", "db_schema", "db_pool_size", "db_store_log"];

/**
 * A control port with no password starts, then refuses every `auth`: said at start, with the
 * command that sets the passwords.
 */
export function controlPortWarnings(
  ini: Ini,
  command: string,
  adminPassword: string | undefined,
  userPassword: string | undefined,
): string[] {
  if (!ini.string("TRANSPORT", "control_port") || adminPassword || userPassword) return [];
  return [
    `${ini.where("TRANSPORT", "control_port")} is set, but [AUTH] has no control_port_admin_password or ` +
    `control_port_user_password, so the control port refuses every password; ` +
    `"simplex ${command} control-port" writes random ones`,
  ];
}
