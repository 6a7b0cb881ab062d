// The whole-account backup end to end in Chromium (the scenarios are in backup.mjs).

import { backupSuite } from "./backup.mjs";

backupSuite("chromium");
