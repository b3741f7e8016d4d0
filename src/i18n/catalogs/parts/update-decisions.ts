import { catalogPart } from './part.js';

/** Version-aware planning: nothing to do, downgrade, force, edition inferred or refused, the readiness check (issue 14). */
export const updateDecisions = catalogPart(
  {
    'update.nothing-to-do':
      '{server} already runs {installed} (the package\'s version); nothing to do. No run was created and nothing was stopped. An approver can re-install it with "update {server} force".',
    'update.downgrade':
      '{server} runs {installed} ({component}), newer than the package\'s {package}. Installing it would be a downgrade, so I refused; nothing was planned. "force" never allows a downgrade.',
    'update.force-not-allowed':
      'Only approvers may use "force" to re-install the version {server} already runs ({installed}). Nothing was planned.',
    'update.edition-mismatch':
      'You typed "{typed}", but {server} reported that it is a {reported} server. I refused, so the database update cannot run with the wrong parameters (for example -LocalDatabases on an Enterprise back end). Leave the edition out to use the reported one: "update {server}".',
    'update.sql-mismatch':
      'You typed SQL Server {typed}, but {server} reported its back end on {reported}. I refused; leave "sql" out to use the reported one.',
    'update.collocated-mismatch':
      'You typed "collocated", but {server} reported no collocated stores on its back-end SQL Server. I refused; leave "collocated" out to use what the server reported.',
    'update.edition-unknown':
      '{server} has not reported its edition yet. Say which one: "update {server} standard" or "update {server} enterprise sql <fqdn>".',
    'update.no-package':
      'The catalog has no update package for {product}, so there is nothing to plan for {server}. An approver can add one with "package add <product> <version> <source> sha256 <hex>".',
    'update.note.version-change': 'Version: {installed} -> {package}.',
    'update.note.version-unknown':
      "{server} has not reported its installed version yet, so I could not compare it with the package's {package}. The version check on the server compares them before anything stops.",
    'update.note.from-facts': 'Edition, SQL Server and collocated stores as {server} reported them ({time}).',
    'update.note.checked-ready': 'Checked {time}: ready (check #{runId}).',
    'card.fact.package': 'Package',
    'update.downtime.predicted_one':
      'Expected downtime on this server: about {median} (its last run with a measured downtime).',
    'update.downtime.predicted_other':
      'Expected downtime on this server: about {median}, at worst {worst} (its last {count} runs).',
    'check.title': 'Readiness check #{runId}: {server}',
    'check.subtitle':
      'Every check that runs before downtime, on the server itself. Nothing is stopped: zero downtime.',
    'check.state.queued': 'Waiting for the runner on {server} to start the checks',
    'check.state.running': 'Checking: {done} of {total} done',
    'check.state.ready': 'Ready for {package}',
    'check.state.not-ready': 'Not ready: {step}',
    'check.state.cancelled': 'Check cancelled',
    'check.item.pending': 'not checked yet',
    'check.item.running': 'checking…',
    'check.item.passed': 'passed',
    'check.item.skipped': 'not checked (an earlier check failed)',
    'check.reuse':
      'A ready result younger than 60 minutes is shown on the plan card of an update to the same package.',
  },
  {
    'de-DE': {
      'update.nothing-to-do':
        '{server} hat bereits {installed} (die Version des Pakets); nichts zu tun. Es wurde kein Lauf angelegt und nichts angehalten. Ein Genehmiger kann mit "update {server} force" neu installieren.',
      'update.downgrade':
        '{server} hat {installed} ({component}), neuer als {package} aus dem Paket. Die Installation wäre ein Downgrade, daher abgelehnt; nichts wurde geplant. "force" erlaubt nie ein Downgrade.',
      'update.force-not-allowed':
        'Nur Genehmiger dürfen mit "force" die Version neu installieren, die {server} bereits hat ({installed}). Nichts wurde geplant.',
      'update.edition-mismatch':
        'Angegeben war "{typed}", aber {server} meldet sich als {reported}-Server. Abgelehnt, damit das Datenbank-Update nicht mit falschen Parametern läuft (etwa -LocalDatabases auf einem Enterprise-Back-End). Ohne Edition wird die gemeldete verwendet: "update {server}".',
      'update.sql-mismatch':
        'Angegeben war SQL Server {typed}, aber {server} meldet sein Back-End auf {reported}. Abgelehnt; ohne "sql" wird der gemeldete verwendet.',
      'update.collocated-mismatch':
        'Angegeben war "collocated", aber {server} meldet keine zusammengelegten Speicher auf dem SQL Server des Back-Ends. Abgelehnt; ohne "collocated" gilt, was der Server gemeldet hat.',
      'update.edition-unknown':
        '{server} hat seine Edition noch nicht gemeldet. Bitte angeben: "update {server} standard" oder "update {server} enterprise sql <fqdn>".',
      'update.no-package':
        'Der Katalog enthält kein Update-Paket für {product}, daher gibt es für {server} nichts zu planen. Ein Genehmiger kann eines mit "package add <product> <version> <source> sha256 <hex>" hinzufügen.',
      'update.note.version-change': 'Versionswechsel: {installed} -> {package}.',
      'update.note.version-unknown':
        '{server} hat seine installierte Version noch nicht gemeldet, daher konnte sie nicht mit {package} aus dem Paket verglichen werden. Die Versionsprüfung auf dem Server vergleicht sie, bevor etwas angehalten wird.',
      'update.note.from-facts':
        'Edition, SQL Server und zusammengelegte Speicher wie von {server} gemeldet ({time}).',
      'update.note.checked-ready': 'Geprüft {time}: bereit (Prüfung #{runId}).',
      'card.fact.package': 'Paket',
      'update.downtime.predicted_one':
        'Erwartete Ausfallzeit auf diesem Server: etwa {median} (sein letzter Lauf mit gemessener Ausfallzeit).',
      'update.downtime.predicted_other':
        'Erwartete Ausfallzeit auf diesem Server: etwa {median}, höchstens {worst} (seine letzten {count} Läufe).',
      'check.title': 'Bereitschaftsprüfung #{runId}: {server}',
      'check.subtitle':
        'Alle Prüfungen vor der Ausfallzeit, auf dem Server selbst. Nichts wird angehalten: keine Ausfallzeit.',
      'check.state.queued': 'Warte, bis der Runner auf {server} die Prüfungen startet',
      'check.state.running': 'Prüfe: {done} von {total} erledigt',
      'check.state.ready': 'Bereit für {package}',
      'check.state.not-ready': 'Nicht bereit: {step}',
      'check.state.cancelled': 'Prüfung abgebrochen',
      'check.item.pending': 'noch nicht geprüft',
      'check.item.running': 'wird geprüft…',
      'check.item.passed': 'bestanden',
      'check.item.skipped': 'nicht geprüft (eine frühere Prüfung schlug fehl)',
      'check.reuse':
        'Ein Ergebnis "bereit", jünger als 60 Minuten, erscheint auf der Plankarte eines Updates auf dasselbe Paket.',
    },
    'es-ES': {
      'update.nothing-to-do':
        '{server} ya ejecuta {installed} (la versión del paquete); no hay nada que hacer. No se creó ninguna ejecución y no se detuvo nada. Un aprobador puede reinstalarla con "update {server} force".',
      'update.downgrade':
        '{server} ejecuta {installed} ({component}), más reciente que {package} del paquete. Instalarlo sería un downgrade, así que lo rechacé; no se planificó nada. "force" nunca permite un downgrade.',
      'update.force-not-allowed':
        'Solo los aprobadores pueden usar "force" para reinstalar la versión que {server} ya ejecuta ({installed}). No se planificó nada.',
      'update.edition-mismatch':
        'Escribió "{typed}", pero {server} informó que es un servidor {reported}. Lo rechacé para que la actualización de la base de datos no se ejecute con parámetros incorrectos (por ejemplo -LocalDatabases en un back end Enterprise). Omita la edición para usar la informada: "update {server}".',
      'update.sql-mismatch':
        'Escribió el SQL Server {typed}, pero {server} informó su back end en {reported}. Lo rechacé; omita "sql" para usar el informado.',
      'update.collocated-mismatch':
        'Escribió "collocated", pero {server} no informó almacenes colocados en el SQL Server del back end. Lo rechacé; omita "collocated" para usar lo que informó el servidor.',
      'update.edition-unknown':
        '{server} aún no ha informado su edición. Indíquela: "update {server} standard" o "update {server} enterprise sql <fqdn>".',
      'update.no-package':
        'El catálogo no tiene ningún paquete de actualización para {product}, así que no hay nada que planificar para {server}. Un aprobador puede añadir uno con "package add <product> <version> <source> sha256 <hex>".',
      'update.note.version-change': 'Versión: {installed} -> {package}.',
      'update.note.version-unknown':
        '{server} aún no ha informado su versión instalada, así que no pude compararla con {package} del paquete. La comprobación de versión en el servidor las compara antes de detener nada.',
      'update.note.from-facts':
        'Edición, SQL Server y almacenes colocados tal como los informó {server} ({time}).',
      'update.note.checked-ready': 'Comprobado {time}: listo (comprobación #{runId}).',
      'card.fact.package': 'Paquete',
      'update.downtime.predicted_one':
        'Tiempo de inactividad previsto en este servidor: unos {median} (su última ejecución con tiempo de inactividad medido).',
      'update.downtime.predicted_other':
        'Tiempo de inactividad previsto en este servidor: unos {median}, como máximo {worst} (sus últimas {count} ejecuciones).',
      'check.title': 'Comprobación de preparación #{runId}: {server}',
      'check.subtitle':
        'Todas las comprobaciones previas al tiempo de inactividad, en el propio servidor. No se detiene nada: cero tiempo de inactividad.',
      'check.state.queued': 'Esperando a que el runner de {server} inicie las comprobaciones',
      'check.state.running': 'Comprobando: {done} de {total} hechas',
      'check.state.ready': 'Listo para {package}',
      'check.state.not-ready': 'No está listo: {step}',
      'check.state.cancelled': 'Comprobación cancelada',
      'check.item.pending': 'aún sin comprobar',
      'check.item.running': 'comprobando…',
      'check.item.passed': 'superada',
      'check.item.skipped': 'sin comprobar (falló una comprobación anterior)',
      'check.reuse':
        'Un resultado "listo" de menos de 60 minutos aparece en la tarjeta del plan de una actualización al mismo paquete.',
    },
    'zh-CN': {
      'update.nothing-to-do':
        '{server} 已运行 {installed}（即该包的版本），无需操作。未创建运行，也未停止任何服务。审批人可以用 "update {server} force" 重新安装。',
      'update.downgrade':
        '{server} 运行 {installed}（{component}），比包中的 {package} 更新。安装它将是降级，因此已拒绝，未做任何计划。"force" 永远不允许降级。',
      'update.force-not-allowed':
        '只有审批人可以使用 "force" 重新安装 {server} 已运行的版本（{installed}）。未做任何计划。',
      'update.edition-mismatch':
        '你输入的是 "{typed}"，但 {server} 报告它是 {reported} 服务器。已拒绝，以免数据库更新使用错误的参数（例如在企业版后端上使用 -LocalDatabases）。省略版本即可使用报告的版本："update {server}"。',
      'update.sql-mismatch':
        '你输入的 SQL Server 是 {typed}，但 {server} 报告其后端位于 {reported}。已拒绝；省略 "sql" 即可使用报告的值。',
      'update.collocated-mismatch':
        '你输入了 "collocated"，但 {server} 报告其后端 SQL Server 上没有并置存储。已拒绝；省略 "collocated" 即可使用服务器报告的值。',
      'update.edition-unknown':
        '{server} 尚未报告其版本。请指定："update {server} standard" 或 "update {server} enterprise sql <fqdn>"。',
      'update.no-package':
        '目录中没有 {product} 的更新包，因此无法为 {server} 做计划。审批人可以用 "package add <product> <version> <source> sha256 <hex>" 添加。',
      'update.note.version-change': '版本：{installed} -> {package}。',
      'update.note.version-unknown':
        '{server} 尚未报告已安装的版本，因此无法与包的 {package} 比较。服务器上的版本检查会在停止任何服务之前进行比较。',
      'update.note.from-facts': '版本、SQL Server 和并置存储取自 {server} 的报告（{time}）。',
      'update.note.checked-ready': '已于 {time} 检查：就绪（检查 #{runId}）。',
      'card.fact.package': '包',
      'update.downtime.predicted_one': '此服务器的预计停机时间：约 {median}（其上一次测得停机时间的运行）。',
      'update.downtime.predicted_other':
        '此服务器的预计停机时间：约 {median}，最长 {worst}（其最近 {count} 次运行）。',
      'check.title': '就绪检查 #{runId}：{server}',
      'check.subtitle': '在服务器上执行停机前的所有检查。不停止任何服务：零停机。',
      'check.state.queued': '等待 {server} 上的 runner 开始检查',
      'check.state.running': '检查中：已完成 {done}/{total}',
      'check.state.ready': '已就绪，可更新到 {package}',
      'check.state.not-ready': '未就绪：{step}',
      'check.state.cancelled': '检查已取消',
      'check.item.pending': '尚未检查',
      'check.item.running': '检查中…',
      'check.item.passed': '通过',
      'check.item.skipped': '未检查（之前的检查失败）',
      'check.reuse': '60 分钟内的"就绪"结果会显示在同一包的更新计划卡上。',
    },
  },
);
