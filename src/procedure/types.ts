/** The products whose Back End / Standard Edition servers the bot can patch. */
export const PRODUCT_FAMILIES = ['lync2013', 'sfb2015', 'sfb2019', 'sfbse'] as const;
export type ProductFamily = (typeof PRODUCT_FAMILIES)[number];

export const EDITIONS = ['standard', 'enterprise'] as const;
export type Edition = (typeof EDITIONS)[number];

/** prestage: nothing is down yet; downtime: Cs services are stopped; post: checks after service is back. */
export type Phase = 'prestage' | 'downtime' | 'post';

/** Which of the three Install-CsDatabase parameter sets the plan uses (article step 11). */
export type DatabaseVariant = 'standard' | 'enterprise' | 'enterprise-collocated';

/** What the admin asked for. Everything here came from chat and is untrusted until validated. */
export interface UpdateRequest {
  server: string;
  edition: Edition;
  sqlServerFqdn?: string | undefined;
  collocated?: boolean | undefined;
  /** `graceful`: drain calls and conferences (Stop-CsWindowsService -Graceful) within a time limit. */
  graceful?: boolean | undefined;
  /** `force`: re-install the version the server already runs (approvers only; never a lower one). */
  force?: boolean | undefined;
  /**
   * Enterprise only, filled in by the bot from the runner's server facts, never typed by an admin:
   * the pool's FQDN (for Get-CsDatabaseMirrorState / Invoke-CsDatabaseFailover) and whether the
   * back-end databases are mirrored.
   */
  poolFqdn?: string | undefined;
  mirrored?: boolean | undefined;
}

/**
 * What the runner read on its server (Get-PatchBotServerFacts): reported at start, after every
 * job and periodically, and sent with a heartbeat whenever something changed. Null = could not be
 * read (the runner says why in its log); the bot never guesses a missing fact.
 */
export interface ServerFacts {
  /** When the runner read them (ISO 8601). */
  readAt: string;
  product: ProductFamily;
  /** The lowest version among the components below: what the server as a whole is patched to. */
  installedVersion: string | null;
  /** Each installed component and its patch version (Get-CsServerPatchVersion or installed programs). */
  components: { name: string; version: string }[];
  edition: Edition | null;
  /** FQDN of the pool the server belongs to (a Standard Edition server is its own pool). */
  poolFqdn: string | null;
  /** Enterprise: FQDN of the back end's SQL Server; Standard: null. */
  sqlServerFqdn: string | null;
  /** Enterprise: Archiving/Monitoring stores collocated on the back end's SQL Server. */
  collocatedStores: boolean | null;
  /** Enterprise: the back-end databases are mirrored (Get-CsDatabaseMirrorState). */
  mirrored: boolean | null;
  pendingRestart: boolean | null;
  /** Free space on the staging drive, GB rounded down to 0.1. */
  freeSpaceGb: number | null;
  /** $PSVersionTable.PSVersion, e.g. "5.1". */
  powershellVersion: string | null;
  /** How many Cs services Get-CsWindowsService lists; 0 = this machine cannot run the procedure. */
  csServiceCount: number | null;
}

/** The update package as the runner on the server is configured to stage it. */
export interface UpdatePackage {
  /** https:// URL or UNC path the runner copies the package from. */
  source: string;
  /** File name of the package (the installer .exe or a .zip holding it). */
  fileName: string;
  /** Expected SHA-256 of the package, 64 hex digits. */
  sha256: string;
  /** Patch version the server reports once the update is installed, e.g. 7.0.2046.530. */
  version: string;
}

/** What a registered runner says about the server it lives on. */
export interface ServerProfile {
  server: string;
  product: ProductFamily;
  /** The server's real role when the runner knows it; a request for the other edition is refused. */
  edition?: Edition | undefined;
  /**
   * The package to plan with. On the bot: the runner's local override when it has one, else the
   * newest catalog entry for the product. On the runner: the job's package, after the runner's own
   * checks (source prefix, local override).
   */
  package: UpdatePackage;
  /** Local folder the package is staged and extracted into. */
  stagingDir: string;
  /** Free space needed on the system drive and the staging drive, in GB. */
  minFreeGb: number;
}

/** How a step relates to the PowerShell session that runs it. */
export type SessionEffect =
  /** runs in the current session */
  | 'run'
  /** ends the current session (article step 6); nothing is sent to PowerShell */
  | 'close-session'
  /** starts a brand-new PowerShell process, then runs its command in it (article step 8) */
  | 'new-session';

export interface PlanStep {
  /** Stable id, also the allow-list key the runner checks. */
  id: StepId;
  /** 1-based position in the plan. */
  index: number;
  phase: Phase;
  /** i18n message key of the step's title. */
  titleKey: string;
  /** The exact command the runner sends to PowerShell ('' for close-session). */
  command: string;
  /**
   * The Microsoft cmdlet or native command that `command` runs on the server (the article's line
   * where there is one), for the plan card; absent for our own checks. Display only.
   */
  underlying?: string;
  session: SessionEffect;
  /** May the step be re-run without a human looking at the server first? */
  retrySafe: boolean;
  timeoutMs: number;
  /** Reference article step this implements (1-11), or null for our own checks. */
  articleStep: number | null;
}

/** Something the plan card must say about this plan: an i18n key and its parameters. */
export interface PlanNote {
  key: string;
  params?: Record<string, string | number>;
}

export interface Plan {
  request: Required<Pick<UpdateRequest, 'server' | 'edition'>> & {
    sqlServerFqdn: string | null;
    collocated: boolean;
    /**
     * The options below are absent from plans stored before they existed; read them as
     * false / null. planUpdate always fills them.
     */
    graceful?: boolean;
    force?: boolean;
    poolFqdn?: string | null;
    mirrored?: boolean;
  };
  /** The package the plan stages and installs; dispatch sends it with the job (absent from older plans). */
  package?: UpdatePackage;
  /** What the plan card says about this plan (edition, runner location, mirroring, graceful, force). */
  notes?: PlanNote[];
  product: ProductFamily;
  variant: DatabaseVariant;
  steps: PlanStep[];
  /** Id of the step whose start begins downtime (the first Stop-CsWindowsService). */
  downtimeStartsAt: StepId;
  /** Id of the step whose success ends downtime (every Cs service running again). */
  downtimeEndsAfter: StepId;
  /** Sum of the downtime steps' timeouts: the worst case the runner allows before giving up. */
  downtimeBudgetMs: number;
  /** Typical downtime for this product (minutes), shown on the plan card. */
  typicalDowntimeMinutes: number;
}

export const STEP_IDS = [
  'precheck.powershell',
  'precheck.role',
  'precheck.reboot',
  'precheck.disk',
  'stage.fetch',
  'stage.verify',
  'stage.extract',
  'shell.open',
  'precheck.services',
  'precheck.shells',
  'precheck.version',
  'precheck.sql',
  'precheck.mirror',
  'services.stop',
  'iis.stop',
  'shell.close',
  'update.install',
  'shell.reopen',
  'services.stop-again',
  'iis.start',
  'database.update',
  'services.start',
  'services.verify',
  'postcheck.version',
] as const;
export type StepId = (typeof STEP_IDS)[number];
