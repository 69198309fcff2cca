// Templates are embedded in the executable as text at build time (`with { type: "text" }`).
declare module "*.tmpl" {
  const text: string;
  export default text;
}
