import { catalogPart } from './part.js';

/** Surviving a real server: restart and resume, mirrored back ends, installer and database results, graceful stop (issue 15). */
export const serverSafety = catalogPart(
  {
    'step.precheck.powershell': 'Check the PowerShell and .NET Framework versions',
    'step.precheck.powershell.why':
      'The runner module needs PowerShell 3.0 or later and .NET Framework 4.5; an older server is refused before anything stops.',
    'step.precheck.services': 'Check that this server runs {product} services',
    'step.precheck.services.why':
      'The procedure stops and starts the Cs services of this machine; without any, the runner is installed on the wrong server.',
    'step.precheck.sql': 'Check the rights on the back-end SQL Server',
    'step.precheck.sql.why':
      'The database update needs sysadmin rights on the back end; finding out now costs no downtime.',
    'step.precheck.mirror': 'Check database mirroring on the back end',
    'step.precheck.mirror.why':
      'The database update cannot run against mirrored databases held elsewhere: this makes the back end principal of every database before downtime, or stops here.',
    'plan.note.standard-users':
      '{server} is a Standard Edition server: every user homed on it is cut off while the services are stopped.',
    'plan.note.enterprise-runner':
      'Enterprise pool: the runner must be installed on a Front End Server of the pool; it stops that server and updates the back-end databases on {sql} remotely.',
    'plan.note.mirrored':
      'The back-end databases are mirrored: before any downtime, the plan makes {sql} the principal of every database (Invoke-CsDatabaseFailover).',
    'plan.note.graceful':
      'Graceful stop: calls and conferences drain for up to {minutes} minutes before the services stop; the downtime budget counts this time.',
    'plan.note.force':
      'Forced: version {version} is installed again although the server already runs it (approvers only).',
    'run.resume.from':
      'Retry resumes at "{step}" (step {index} of {total}), where the server is safe to pick up; every step from there on runs again.',
    'card.plan.runs': 'runs:',
  },
  {
    'de-DE': {
      'step.precheck.powershell': 'PowerShell- und .NET-Framework-Version prüfen',
      'step.precheck.powershell.why':
        'Das Runner-Modul braucht PowerShell 3.0 oder neuer und .NET Framework 4.5; ein älterer Server wird abgelehnt, bevor etwas beendet wird.',
      'step.precheck.services': 'Prüfen, dass auf diesem Server {product}-Dienste laufen',
      'step.precheck.services.why':
        'Der Ablauf beendet und startet die Cs-Dienste dieses Computers; gibt es keine, ist der Runner auf dem falschen Server installiert.',
      'step.precheck.sql': 'Rechte auf dem Back-End-SQL-Server prüfen',
      'step.precheck.sql.why':
        'Das Datenbank-Update braucht sysadmin-Rechte auf dem Back-End; das jetzt zu prüfen kostet keine Ausfallzeit.',
      'step.precheck.mirror': 'Datenbankspiegelung des Back-Ends prüfen',
      'step.precheck.mirror.why':
        'Das Datenbank-Update läuft nicht gegen gespiegelte Datenbanken, deren Prinzipal anderswo liegt: Dieser Schritt macht das Back-End vor der Ausfallzeit zum Prinzipal jeder Datenbank oder hält hier an.',
      'plan.note.standard-users':
        '{server} ist ein Standard Edition-Server: Alle dort beheimateten Benutzer sind getrennt, solange die Dienste beendet sind.',
      'plan.note.enterprise-runner':
        'Enterprise-Pool: Der Runner muss auf einem Front-End-Server des Pools installiert sein; er beendet diesen Server und aktualisiert die Back-End-Datenbanken auf {sql} aus der Ferne.',
      'plan.note.mirrored':
        'Die Back-End-Datenbanken werden gespiegelt: Vor jeder Ausfallzeit macht der Plan {sql} zum Prinzipal jeder Datenbank (Invoke-CsDatabaseFailover).',
      'plan.note.graceful':
        'Sanftes Beenden: Anrufe und Konferenzen laufen bis zu {minutes} Minuten aus, bevor die Dienste enden; das Ausfallzeit-Budget zählt diese Zeit mit.',
      'plan.note.force':
        'Erzwungen: Version {version} wird erneut installiert, obwohl der Server sie schon ausführt (nur Genehmigende).',
      'run.resume.from':
        'Der neue Versuch setzt bei „{step}“ an (Schritt {index} von {total}), wo der Server sicher weitermachen kann; jeder Schritt ab dort läuft erneut.',
      'card.plan.runs': 'führt aus:',
    },
    'es-ES': {
      'step.precheck.powershell': 'Comprobar las versiones de PowerShell y .NET Framework',
      'step.precheck.powershell.why':
        'El módulo del runner necesita PowerShell 3.0 o posterior y .NET Framework 4.5; un servidor más antiguo se rechaza antes de detener nada.',
      'step.precheck.services': 'Comprobar que este servidor ejecuta servicios de {product}',
      'step.precheck.services.why':
        'El procedimiento detiene e inicia los servicios Cs de esta máquina; si no hay ninguno, el runner está instalado en el servidor equivocado.',
      'step.precheck.sql': 'Comprobar los permisos en el SQL Server del back-end',
      'step.precheck.sql.why':
        'La actualización de las bases de datos necesita permisos sysadmin en el back-end; comprobarlo ahora no cuesta tiempo de inactividad.',
      'step.precheck.mirror': 'Comprobar la creación de reflejo de las bases de datos del back-end',
      'step.precheck.mirror.why':
        'La actualización no puede ejecutarse contra bases de datos reflejadas cuya principal está en otro servidor: este paso hace del back-end la principal de cada base de datos antes de la inactividad, o se detiene aquí.',
      'plan.note.standard-users':
        '{server} es un servidor Standard Edition: todos los usuarios alojados en él quedan desconectados mientras los servicios están detenidos.',
      'plan.note.enterprise-runner':
        'Grupo Enterprise: el runner debe estar instalado en un servidor front-end del grupo; detiene ese servidor y actualiza de forma remota las bases de datos del back-end en {sql}.',
      'plan.note.mirrored':
        'Las bases de datos del back-end están reflejadas: antes de cualquier inactividad, el plan hace de {sql} la principal de cada base de datos (Invoke-CsDatabaseFailover).',
      'plan.note.graceful':
        'Detención ordenada: las llamadas y conferencias terminan durante hasta {minutes} minutos antes de detener los servicios; el presupuesto de inactividad cuenta este tiempo.',
      'plan.note.force':
        'Forzado: la versión {version} se vuelve a instalar aunque el servidor ya la ejecuta (solo aprobadores).',
      'run.resume.from':
        'El reintento continúa en «{step}» (paso {index} de {total}), donde el servidor puede retomarse con seguridad; todos los pasos desde ahí se ejecutan de nuevo.',
      'card.plan.runs': 'ejecuta:',
    },
    'zh-CN': {
      'step.precheck.powershell': '检查 PowerShell 和 .NET Framework 版本',
      'step.precheck.powershell.why':
        'Runner 模块需要 PowerShell 3.0 或更高版本以及 .NET Framework 4.5；版本更旧的服务器会在停止任何服务之前被拒绝。',
      'step.precheck.services': '检查此服务器运行 {product} 服务',
      'step.precheck.services.why':
        '该流程会停止并启动本机的 Cs 服务；如果一个都没有，说明 Runner 安装在了错误的服务器上。',
      'step.precheck.sql': '检查后端 SQL Server 上的权限',
      'step.precheck.sql.why': '数据库更新需要后端上的 sysadmin 权限；现在检查不会造成停机。',
      'step.precheck.mirror': '检查后端的数据库镜像',
      'step.precheck.mirror.why':
        '数据库更新无法针对主体位于其他服务器的镜像数据库运行：此步骤在停机前让后端成为每个数据库的主体，否则就在此停止。',
      'plan.note.standard-users':
        '{server} 是 Standard Edition 服务器：服务停止期间，驻留在其上的所有用户都会断开。',
      'plan.note.enterprise-runner':
        'Enterprise 池：Runner 必须安装在该池的一台前端服务器上；它会停止那台服务器，并远程更新 {sql} 上的后端数据库。',
      'plan.note.mirrored':
        '后端数据库已启用镜像：在任何停机之前，计划会让 {sql} 成为每个数据库的主体（Invoke-CsDatabaseFailover）。',
      'plan.note.graceful':
        '正常停止：服务停止前，通话和会议最多有 {minutes} 分钟结束；停机预算包含这段时间。',
      'plan.note.force': '强制：尽管服务器已运行版本 {version}，仍会重新安装（仅限审批人）。',
      'run.resume.from':
        '重试从“{step}”（第 {index} 步，共 {total} 步）继续，服务器可以从这里安全地接着执行；从此处起的每一步都会重新运行。',
      'card.plan.runs': '实际运行：',
    },
  },
);
