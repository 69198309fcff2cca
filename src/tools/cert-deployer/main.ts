import { ErrorCode, RkeToolsError } from "../../errors.ts";
import type { ToolMain } from "../tool.ts";

export const main: ToolMain = async () => {
  throw new RkeToolsError(ErrorCode.NotImplemented, "cert-deployer is not built yet (issue 6)");
};
