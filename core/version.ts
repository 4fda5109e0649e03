/** The toolkit's version, shown by `simplex --version` and reported by the servers. */
export const VERSION = "0.1.0";
