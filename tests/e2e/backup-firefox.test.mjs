// The whole-account backup end to end in Firefox ESR (the scenarios are in backup.mjs).

import { backupSuite } from "./backup.mjs";

backupSuite("firefox");
