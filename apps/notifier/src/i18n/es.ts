import type { Catalogue } from './en.js';

/** Catálogo en español. */
export const es: Catalogue = {
  common: {
    brand: 'Guardian',
    greeting: 'Hola, {name}:',
    greetingAnonymous: 'Hola:',
    details: 'Detalles',
    time: 'Cuándo',
    ip: 'Dirección IP',
    device: 'Dispositivo',
    method: 'Método de acceso',
    unknown: 'desconocido',
    deviceFormat: '{browser} en {os}',
    notYou: 'Si no fuiste tú, cambia tu contraseña de inmediato y contacta con soporte.',
    footer:
      'Recibes este mensaje porque existe una cuenta de Guardian con esta dirección. Es un mensaje automático; las respuestas no se leen.',
    securityFooter: 'Las alertas de seguridad como esta se envían siempre y no se pueden desactivar.',
    methods: {
      password: 'contraseña',
      face: 'reconocimiento facial',
    },
  },
  welcome: {
    subject: 'Te damos la bienvenida a Guardian, {name}',
    preview: 'Tu cuenta está lista.',
    heading: 'Bienvenido a Guardian',
    body: 'Se ha creado tu cuenta {username}. Ya puedes iniciar sesión y gestionar tu perfil, tus documentos y tu biometría facial.',
    faceOnly:
      'Te registraste solo con reconocimiento facial: mantén tu biometría actualizada para no perder el acceso a tu cuenta.',
    tip: 'Para más seguridad, registra tu rostro y úsalo para iniciar sesión y confirmar acciones sensibles.',
  },
  loginSucceeded: {
    subject: 'Nuevo inicio de sesión en tu cuenta de Guardian',
    preview: 'Inicio de sesión con {method} desde {device}.',
    heading: 'Nuevo inicio de sesión',
    body: 'Se acaba de iniciar sesión en tu cuenta con {method}.',
    optOut:
      'Puedes desactivar las alertas de inicios de sesión correctos en tus preferencias de notificación.',
  },
  loginFailed: {
    subject: 'Intentos fallidos de inicio de sesión en tu cuenta de Guardian',
    preview: '{count} intento(s) fallido(s) desde {device}.',
    heading: 'Intento de inicio de sesión fallido',
    bodyOne: 'Alguien intentó iniciar sesión en tu cuenta sin éxito.',
    bodyMany: 'Hubo {count} intentos fallidos de iniciar sesión en tu cuenta desde nuestra última alerta.',
    attempts: 'Fallos consecutivos',
    advice:
      'Si fuiste tú, puedes ignorar este mensaje. Si no, cambia tu contraseña ahora y considera registrar tu rostro para un acceso más seguro.',
  },
  accountLocked: {
    subject: 'Tu cuenta de Guardian ha sido bloqueada',
    preview: 'Demasiados intentos fallidos de inicio de sesión.',
    heading: 'Cuenta bloqueada temporalmente',
    body: 'Tras {count} intentos fallidos de inicio de sesión, bloqueamos tu cuenta para protegerla.',
    until: 'El acceso está bloqueado hasta {until}.',
    untilUnknown: 'El acceso está bloqueado por un tiempo; inténtalo más tarde.',
    channel: 'Canal bloqueado',
    channels: {
      password: 'inicio de sesión con contraseña',
      face: 'inicio de sesión facial',
    },
  },
  biometricEnrolled: {
    subject: 'Biometría facial registrada en tu cuenta de Guardian',
    preview: 'Ya puedes iniciar sesión con tu rostro.',
    heading: 'Biometría facial registrada',
    bodyNew:
      'Creamos una plantilla facial para tu cuenta a partir de {count} foto(s). Ya puedes iniciar sesión con tu rostro.',
    bodyUpdated: 'La plantilla facial de tu cuenta se reemplazó con {count} foto(s) nueva(s).',
  },
  biometricRemoved: {
    subject: 'Biometría facial eliminada de tu cuenta de Guardian',
    preview: 'El inicio de sesión facial ya no está disponible.',
    heading: 'Biometría facial eliminada',
    body: 'Se eliminó la plantilla facial de tu cuenta. El inicio de sesión facial no estará disponible hasta que te registres de nuevo.',
    reason: 'Motivo',
    reasons: {
      user_request: 'solicitado por ti',
      admin: 'eliminado por un administrador',
      user_deleted: 'cuenta eliminada',
    },
  },
  passwordChanged: {
    subject: 'Se cambió tu contraseña de Guardian',
    preview: 'Tu contraseña se acaba de cambiar.',
    heading: 'Contraseña cambiada',
    body: 'Se cambió la contraseña de tu cuenta. Se cerraron las demás sesiones.',
  },
  documentReviewed: {
    subjectApproved: 'Tu documento fue aprobado',
    subjectRejected: 'Tu documento fue rechazado',
    preview: 'Tu documento {type} ha sido revisado.',
    headingApproved: 'Documento aprobado',
    headingRejected: 'Documento rechazado',
    bodyApproved: 'Tu documento {type} fue revisado y aprobado. ¡Gracias!',
    bodyRejected: 'Tu documento {type} fue revisado y no pudo ser aceptado.',
    reason: 'Motivo',
    noReason: 'No se indicó ningún motivo.',
    nextSteps: 'Puedes enviar un nuevo documento desde tu perfil.',
  },
  videoAnalyzed: {
    subjectSucceeded: 'El análisis de tu vídeo está listo',
    subjectFailed: 'El análisis de tu vídeo falló',
    preview: 'Análisis de vídeo de {file}.',
    headingSucceeded: 'Análisis de vídeo listo',
    headingFailed: 'Error en el análisis de vídeo',
    quotedName: '«{name}»',
    unnamed: 'tu vídeo',
    bodySucceeded:
      'Analizamos {file} y vimos {people} persona(s) en {seconds} s de vídeo. La expresión predominante fue: {expression}.',
    bodyNoPeople: 'Analizamos {file} ({seconds} s de vídeo) y no vimos ningún rostro.',
    bodyFailed: 'No pudimos analizar {file}.',
    reasons: {
      CORRUPT_VIDEO:
        'No se pudo decodificar el archivo: puede estar dañado o incompleto. Vuelve a exportarlo y sube la nueva copia.',
      VIDEO_TOO_LONG:
        'El vídeo es más largo de lo que podemos analizar. Recórtalo y sube la copia más corta.',
      UNSUPPORTED_FORMAT:
        'Este tipo de archivo de vídeo no es compatible. Conviértelo a otro formato y vuelve a subirlo.',
    },
    reasonOther: 'Algo salió mal por nuestra parte. Inténtalo de nuevo más tarde.',
    viewResults: 'Ver los resultados completos',
    viewVideo: 'Abrir el vídeo en Guardian',
    fileName: 'Archivo',
    frames: 'Fotogramas analizados',
    error: 'Código de error',
    job: 'Tarea',
    expressions: {
      neutral: 'neutral',
      happy: 'feliz',
      sad: 'triste',
      angry: 'enfadado',
      fearful: 'con miedo',
      disgusted: 'con asco',
      surprised: 'sorprendido',
    },
  },
};
