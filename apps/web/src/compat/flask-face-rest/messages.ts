/**
 * The Flask face REST API's answers in its own words (Spanish). Statuses are Guardian's (the origin's
 * README documents none); every error carries the sentence under both keys the origin's routes used
 * (`error` for the registration steps, `mensaje` for sign-in and profile) and Guardian's reason.
 */
import type { CompatAnswer, Refusal } from '../kit.js';

/** The calls whose refusals read differently. */
export type Operation = 'registro' | 'imagenes' | 'autenticacion' | 'perfil';

const OPERATION_MESSAGES: Record<Operation, Record<string, string>> = {
  registro: {},
  imagenes: {
    // The enrollment token is spent or past its 15 minutes: step 1 again.
    INVALID_TOKEN: 'Token de registro inválido o expirado: registre los datos de nuevo',
    TOKEN_EXPIRED: 'Token de registro inválido o expirado: registre los datos de nuevo',
    UNAUTHORIZED: 'Token de registro requerido',
  },
  autenticacion: {},
  perfil: {
    // Only the admin procedure changes an e-mail address (see README).
    FORBIDDEN: 'Guardian no permite cambiar el correo propio: solo un administrador puede cambiarlo',
  },
};

const MESSAGES: Record<string, string> = {
  INVALID_INPUT: 'Datos no válidos',
  EMAIL_TAKEN: 'El correo ya está registrado',
  INVALID_EMAIL: 'El correo no es válido',
  INVALID_FULL_NAME: 'El nombre no es válido',
  IMAGE_REQUIRED: 'Imagen no enviada',
  SAMPLE_COUNT: 'Debe subir tres imágenes',
  INVALID_BASE64: 'Formato de imagen no soportado',
  UNSUPPORTED_FORMAT: 'Formato de imagen no soportado',
  CORRUPT_IMAGE: 'Formato de imagen no soportado',
  IMAGE_TOO_SMALL: 'Tamaño de imagen no válido: use imágenes entre 48x48 y 4096x4096 píxeles',
  IMAGE_TOO_LARGE: 'Tamaño de imagen no válido: use imágenes entre 48x48 y 4096x4096 píxeles',
  PAYLOAD_TOO_LARGE: 'La imagen es demasiado grande',
  NO_FACE: 'No se detectó ningún rostro',
  MULTIPLE_FACES: 'Se detectó más de un rostro: envíe fotos con un solo rostro',
  FACE_TOO_SMALL: 'El rostro es demasiado pequeño en la imagen: acérquese a la cámara',
  LOW_QUALITY: 'La imagen del rostro no tiene calidad suficiente: use una foto nítida y bien iluminada',
  INCONSISTENT_SAMPLES: 'Las imágenes no parecen ser de la misma persona',
  FACE_NOT_MATCHED: 'No se encontró coincidencia facial',
  LIVENESS_REQUIRED:
    'Se requiere una prueba de vida: este servidor no acepta una sola foto para registrar el rostro ni para iniciar sesión. Inicie una captura en /api/auth/liveness y envíela en el campo "liveness"',
  LIVENESS_INVALID: 'La prueba de vida no es válida: inicie una nueva captura',
  LIVENESS_EXPIRED: 'La prueba de vida expiró: inicie una nueva captura',
  LIVENESS_MISMATCH: 'La prueba de vida se inició para otro usuario o dispositivo',
  ENROLLMENT_PENDING: 'El registro del rostro aún se está procesando: inténtelo de nuevo en unos segundos',
  ENROLLMENT_NOT_ALLOWED: 'No se puede registrar un rostro para este usuario',
  ENROLLMENT_TOKEN_MISMATCH: 'El token de registro no corresponde a este usuario',
  MISSING_TOKEN: 'Token requerido',
  UNAUTHORIZED: 'Token requerido',
  INVALID_TOKEN: 'Token inválido',
  TOKEN_EXPIRED: 'Token expirado',
  SESSION_REVOKED: 'La sesión terminó: inicie sesión de nuevo',
  SESSION_EXPIRED: 'La sesión expiró: inicie sesión de nuevo',
  FORBIDDEN: 'No tiene permiso para esta operación',
  PERMISSION_DENIED: 'No tiene permiso para esta operación',
  USER_NOT_FOUND: 'Usuario no encontrado',
  ACCOUNT_DISABLED: 'La cuenta está desactivada',
  ACCOUNT_LOCKED: 'Demasiados intentos fallidos: la cuenta está bloqueada temporalmente',
  FACE_LOCKED: 'Demasiados intentos fallidos: el inicio de sesión facial está bloqueado temporalmente',
  TOO_MANY_ATTEMPTS: 'Demasiados intentos: espere unos segundos e inténtelo de nuevo',
  TOO_MANY_REQUESTS: 'Demasiadas solicitudes: inténtelo de nuevo en unos segundos',
  INFERENCE_QUEUE_FULL: 'El servicio está ocupado: inténtelo de nuevo en unos segundos',
};

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Solicitud no válida',
  401: 'Token requerido',
  403: 'No tiene permiso para esta operación',
  404: 'Recurso no encontrado',
  409: 'Conflicto con el estado actual',
  413: 'La solicitud es demasiado grande',
  415: 'Formato no soportado',
  422: 'No se pudo procesar la solicitud',
  429: 'Demasiadas solicitudes: inténtelo de nuevo en unos segundos',
  503: 'Servicio no disponible: inténtelo de nuevo en unos segundos',
};

/** A refusal in Spanish (Guardian's status and reason kept). */
export function translate(refusal: Refusal, operation?: Operation): Refusal {
  const message =
    (operation && OPERATION_MESSAGES[operation][refusal.reason]) ??
    MESSAGES[refusal.reason] ??
    STATUS_MESSAGES[refusal.status] ??
    'Error interno del servidor';
  return { ...refusal, message };
}

export const failure = ({ status, reason, message }: Refusal): CompatAnswer => ({
  status,
  body: { error: message, mensaje: message, codigo: reason },
});

export const SUCCESS = {
  registered: 'Usuario registrado',
  enrolled: 'Imágenes cargadas y usuario actualizado',
  authenticated: 'Autenticación exitosa',
  updated: 'Perfil actualizado correctamente',
} as const;

/** The origin's own validation. */
export const VALIDATION = {
  nameAndEmail: 'Nombre y correo son obligatorios',
  name: 'Nombre requerido',
  email: 'Correo requerido',
  threeImages: 'Debe subir tres imágenes',
  image: 'Imagen no enviada',
  enrollmentToken: 'Token de registro requerido',
  tokenMismatch: 'El token de registro no corresponde a este usuario',
} as const;
