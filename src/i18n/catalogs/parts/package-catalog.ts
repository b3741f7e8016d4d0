import { catalogPart } from './part.js';

/** The package catalog, the fleet's versions, server facts and predicted downtime (issue 14). */
export const packageCatalog = catalogPart(
  {
    'command.check.description': 'Run every check before downtime on a server; nothing is stopped.',
    'command.versions.description': 'Show what every server runs and the newest catalogued version.',
    'command.packages.description': 'List the update packages in the catalog.',
    'command.package.description': 'Add or remove a catalog package (approvers).',
    'help.arg.graceful': 'graceful: drain calls and conferences before the services stop',
    'help.arg.force': 'force: install again the version the server already runs (approvers only)',
    'help.arg.package-action': 'add or remove',
    'help.arg.product': '<product>: lync2013, sfb2015, sfb2019 or sfbse',
    'help.arg.version': '<version>: the patch version the package installs, for example 7.0.2046.530',
    'help.arg.package-source': '<source>: https:// address or UNC path of the package file (add only)',
    'help.arg.sha256': 'sha256 <hex>: the SHA-256 of the package file, 64 hexadecimal digits (add only)',
    'error.check-missing-server': 'Say which server to check, for example "check backend01".',
    'error.package-unknown-action':
      '"{value}" is not something I can do with a package. Use "{add}" or "{remove}".',
    'error.package-missing-argument': '"{argument}" is missing. Usage: {usage}',
    'error.package-invalid-product': '"{value}" is not a product. Use one of: {products}.',
  },
  {
    'de-DE': {
      'command.check.description':
        'Alle Prüfungen vor der Ausfallzeit auf einem Server ausführen; nichts wird beendet.',
      'command.versions.description':
        'Anzeigen, welche Version jeder Server hat und welche die neueste im Katalog ist.',
      'command.packages.description': 'Die Updatepakete im Katalog auflisten.',
      'command.package.description': 'Ein Paket zum Katalog hinzufügen oder daraus entfernen (Genehmigende).',
      'help.arg.graceful':
        'graceful: Anrufe und Konferenzen auslaufen lassen, bevor die Dienste beendet werden',
      'help.arg.force':
        'force: die Version, die der Server bereits hat, erneut installieren (nur Genehmigende)',
      'help.arg.package-action': 'add oder remove',
      'help.arg.product': '<product>: lync2013, sfb2015, sfb2019 oder sfbse',
      'help.arg.version': '<version>: die Patchversion, die das Paket installiert, zum Beispiel 7.0.2046.530',
      'help.arg.package-source': '<source>: https://-Adresse oder UNC-Pfad der Paketdatei (nur bei add)',
      'help.arg.sha256': 'sha256 <hex>: der SHA-256-Wert der Paketdatei, 64 Hexadezimalziffern (nur bei add)',
      'error.check-missing-server':
        'Geben Sie an, welcher Server geprüft werden soll, zum Beispiel „check backend01“.',
      'error.package-unknown-action':
        'Mit einem Paket kann ich „{value}“ nicht ausführen. Verwenden Sie „{add}“ oder „{remove}“.',
      'error.package-missing-argument': '„{argument}“ fehlt. Syntax: {usage}',
      'error.package-invalid-product': '„{value}“ ist kein Produkt. Verwenden Sie eines von: {products}.',
    },
    'es-ES': {
      'command.check.description':
        'Ejecutar en un servidor todas las comprobaciones previas a la interrupción; no se detiene nada.',
      'command.versions.description': 'Mostrar la versión de cada servidor y la más reciente del catálogo.',
      'command.packages.description': 'Listar los paquetes de actualización del catálogo.',
      'command.package.description': 'Agregar o quitar un paquete del catálogo (aprobadores).',
      'help.arg.graceful':
        'graceful: dejar que terminen las llamadas y conferencias antes de detener los servicios',
      'help.arg.force': 'force: volver a instalar la versión que el servidor ya tiene (solo aprobadores)',
      'help.arg.package-action': 'add o remove',
      'help.arg.product': '<product>: lync2013, sfb2015, sfb2019 o sfbse',
      'help.arg.version':
        '<version>: la versión de revisión que instala el paquete, por ejemplo 7.0.2046.530',
      'help.arg.package-source': '<source>: dirección https:// o ruta UNC del archivo del paquete (solo add)',
      'help.arg.sha256':
        'sha256 <hex>: el SHA-256 del archivo del paquete, 64 dígitos hexadecimales (solo add)',
      'error.check-missing-server': 'Indique qué servidor comprobar, por ejemplo "check backend01".',
      'error.package-unknown-action':
        '"{value}" no es algo que pueda hacer con un paquete. Use "{add}" o "{remove}".',
      'error.package-missing-argument': 'Falta "{argument}". Uso: {usage}',
      'error.package-invalid-product': '"{value}" no es un producto. Use uno de estos: {products}.',
    },
    'zh-CN': {
      'command.check.description': '在服务器上运行停机前的全部检查；不会停止任何服务。',
      'command.versions.description': '显示每台服务器的版本以及目录中的最新版本。',
      'command.packages.description': '列出目录中的更新包。',
      'command.package.description': '向目录添加或从目录删除更新包（审批人）。',
      'help.arg.graceful': 'graceful：停止服务前先让通话和会议结束',
      'help.arg.force': 'force：重新安装服务器已有的版本（仅限审批人）',
      'help.arg.package-action': 'add 或 remove',
      'help.arg.product': '<product>：lync2013、sfb2015、sfb2019 或 sfbse',
      'help.arg.version': '<version>：更新包安装的修补程序版本，例如 7.0.2046.530',
      'help.arg.package-source': '<source>：更新包文件的 https:// 地址或 UNC 路径（仅 add）',
      'help.arg.sha256': 'sha256 <hex>：更新包文件的 SHA-256 值，64 位十六进制数字（仅 add）',
      'error.check-missing-server': '请说明要检查哪台服务器，例如“check backend01”。',
      'error.package-unknown-action': '无法对更新包执行“{value}”。请使用“{add}”或“{remove}”。',
      'error.package-missing-argument': '缺少“{argument}”。用法：{usage}',
      'error.package-invalid-product': '“{value}”不是产品。请使用以下之一：{products}。',
    },
  },
);
