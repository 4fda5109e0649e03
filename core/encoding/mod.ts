/** The SimpleX encodings: binary (`smpEncode`), text (`strEncode`), padding and base64url. */
export * from "./base64.ts";
export * from "./binary.ts";
export * from "./bytes.ts";
export * from "./padding.ts";
export * from "./text.ts";
