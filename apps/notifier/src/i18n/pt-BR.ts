import type { Catalogue } from './en.js';

/** Catálogo em português do Brasil. */
export const ptBR: Catalogue = {
  common: {
    brand: 'Guardian',
    greeting: 'Olá, {name},',
    greetingAnonymous: 'Olá,',
    details: 'Detalhes',
    time: 'Quando',
    ip: 'Endereço IP',
    device: 'Dispositivo',
    method: 'Método de acesso',
    unknown: 'desconhecido',
    deviceFormat: '{browser} em {os}',
    notYou: 'Se não foi você, troque sua senha imediatamente e entre em contato com o suporte.',
    footer:
      'Você recebeu esta mensagem porque existe uma conta no Guardian com este endereço. Esta é uma mensagem automática; respostas não são lidas.',
    securityFooter: 'Alertas de segurança como este são sempre enviados e não podem ser desativados.',
    methods: {
      password: 'senha',
      face: 'reconhecimento facial',
    },
  },
  welcome: {
    subject: 'Bem-vindo ao Guardian, {name}',
    preview: 'Sua conta está pronta.',
    heading: 'Bem-vindo ao Guardian',
    body: 'Sua conta {username} foi criada. Agora você pode entrar e gerenciar seu perfil, seus documentos e sua biometria facial.',
    faceOnly:
      'Você se cadastrou apenas com reconhecimento facial: mantenha sua biometria atualizada para não perder o acesso à conta.',
    tip: 'Para mais segurança, cadastre sua biometria facial e use-a para entrar e confirmar ações sensíveis.',
  },
  loginSucceeded: {
    subject: 'Novo acesso à sua conta Guardian',
    preview: 'Acesso com {method} a partir de {device}.',
    heading: 'Novo acesso',
    body: 'Sua conta acabou de ser acessada com {method}.',
    optOut: 'Você pode desativar os alertas de acesso bem-sucedido nas suas preferências de notificação.',
  },
  loginFailed: {
    subject: 'Tentativas de login malsucedidas na sua conta Guardian',
    preview: '{count} tentativa(s) malsucedida(s) a partir de {device}.',
    heading: 'Tentativa de login falhou',
    bodyOne: 'Alguém tentou entrar na sua conta e não conseguiu.',
    bodyMany: 'Houve {count} tentativas malsucedidas de entrar na sua conta desde o nosso último alerta.',
    attempts: 'Falhas consecutivas',
    advice:
      'Se foi você, pode ignorar esta mensagem. Se não foi, troque sua senha agora e considere cadastrar sua biometria facial para um acesso mais seguro.',
  },
  accountLocked: {
    subject: 'Sua conta Guardian foi bloqueada',
    preview: 'Muitas tentativas de login malsucedidas.',
    heading: 'Conta bloqueada temporariamente',
    body: 'Após {count} tentativas de login malsucedidas, bloqueamos sua conta para protegê-la.',
    until: 'O acesso está bloqueado até {until}.',
    untilUnknown: 'O acesso está bloqueado por um tempo; tente novamente mais tarde.',
    channel: 'Canal bloqueado',
    channels: {
      password: 'login com senha',
      face: 'login facial',
    },
  },
  biometricEnrolled: {
    subject: 'Biometria facial cadastrada na sua conta Guardian',
    preview: 'Agora você pode entrar com seu rosto.',
    heading: 'Biometria facial cadastrada',
    bodyNew:
      'Criamos um modelo facial para sua conta a partir de {count} foto(s). Agora você pode entrar com seu rosto.',
    bodyUpdated: 'O modelo facial da sua conta foi substituído usando {count} nova(s) foto(s).',
  },
  biometricRemoved: {
    subject: 'Biometria facial removida da sua conta Guardian',
    preview: 'O login facial não está mais disponível.',
    heading: 'Biometria facial removida',
    body: 'O modelo facial da sua conta foi excluído. O login facial fica indisponível até um novo cadastro.',
    reason: 'Motivo',
    reasons: {
      user_request: 'solicitado por você',
      admin: 'removido por um administrador',
      user_deleted: 'conta excluída',
    },
  },
  passwordChanged: {
    subject: 'Sua senha do Guardian foi alterada',
    preview: 'Sua senha acabou de ser alterada.',
    heading: 'Senha alterada',
    body: 'A senha da sua conta foi alterada. As outras sessões foram encerradas.',
  },
  documentReviewed: {
    subjectApproved: 'Seu documento foi aprovado',
    subjectRejected: 'Seu documento foi rejeitado',
    preview: 'Seu documento {type} foi analisado.',
    headingApproved: 'Documento aprovado',
    headingRejected: 'Documento rejeitado',
    bodyApproved: 'Seu documento {type} foi analisado e aprovado. Obrigado!',
    bodyRejected: 'Seu documento {type} foi analisado e não pôde ser aceito.',
    reason: 'Motivo',
    noReason: 'Nenhum motivo foi informado.',
    nextSteps: 'Você pode enviar um novo documento pelo seu perfil.',
  },
  videoAnalyzed: {
    subjectSucceeded: 'A análise do seu vídeo está pronta',
    subjectFailed: 'A análise do seu vídeo falhou',
    preview: 'Análise de vídeo de {file}.',
    headingSucceeded: 'Análise de vídeo pronta',
    headingFailed: 'Falha na análise de vídeo',
    quotedName: '“{name}”',
    unnamed: 'seu vídeo',
    bodySucceeded:
      'Analisamos {file} e vimos {people} pessoa(s) em {seconds} s de vídeo. A expressão predominante foi: {expression}.',
    bodyNoPeople: 'Analisamos {file} ({seconds} s de vídeo) e não vimos nenhum rosto.',
    bodyFailed: 'Não conseguimos analisar {file}.',
    reasons: {
      CORRUPT_VIDEO:
        'Não foi possível decodificar o arquivo: ele pode estar danificado ou incompleto. Exporte-o de novo e envie a nova cópia.',
      VIDEO_TOO_LONG: 'O vídeo é mais longo do que conseguimos analisar. Corte-o e envie a cópia mais curta.',
      UNSUPPORTED_FORMAT:
        'Este tipo de arquivo de vídeo não é suportado. Converta-o para outro formato e envie de novo.',
    },
    reasonOther: 'Algo deu errado do nosso lado. Tente novamente mais tarde.',
    viewResults: 'Ver os resultados completos',
    viewVideo: 'Abrir o vídeo no Guardian',
    fileName: 'Arquivo',
    frames: 'Quadros analisados',
    error: 'Código de erro',
    job: 'Tarefa',
    expressions: {
      neutral: 'neutra',
      happy: 'feliz',
      sad: 'triste',
      angry: 'com raiva',
      fearful: 'com medo',
      disgusted: 'com nojo',
      surprised: 'surpresa',
    },
  },
};
