// The platform set every chat room offers. Drawn here as SVG, so the set needs no binary assets
// and no fonts: the renderer on a server may have none, which is also why none of them has text.

const face = (fill: string, inner: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112" viewBox="0 0 112 112">` +
  `<circle cx="56" cy="56" r="50" fill="${fill}" stroke="#00000033" stroke-width="4"/>${inner}</svg>`;

const shape = (inner: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112" viewBox="0 0 112 112">${inner}</svg>`;

const EYE = '#3a2a1a';

export const PLATFORM_EMOTES: readonly { code: string; svg: string }[] = [
  {
    code: 'viloHype',
    svg: face(
      '#ff9f1c',
      `<path d="M28 44 q10 -14 20 0" stroke="${EYE}" stroke-width="6" fill="none" stroke-linecap="round"/>` +
        `<path d="M64 44 q10 -14 20 0" stroke="${EYE}" stroke-width="6" fill="none" stroke-linecap="round"/>` +
        `<path d="M28 62 h56 q0 30 -28 30 q-28 0 -28 -30 z" fill="${EYE}"/><path d="M40 80 q16 10 32 0 q-4 12 -16 12 q-12 0 -16 -12z" fill="#ff5a5f"/>`,
    ),
  },
  {
    code: 'viloLove',
    svg: shape(`<path d="M56 100 C20 74 6 56 6 36 C6 18 20 8 34 8 C44 8 52 14 56 22 C60 14 68 8 78 8 C92 8 106 18 106 36 C106 56 92 74 56 100 Z" fill="#e63946" stroke="#9d0208" stroke-width="4"/>`),
  },
  {
    code: 'viloGG',
    svg: shape(
      `<path d="M30 12 h52 v30 a26 26 0 0 1 -52 0 z" fill="#ffd166" stroke="#b08900" stroke-width="4"/>` +
        `<path d="M30 20 h-14 v10 a16 16 0 0 0 16 16 M82 20 h14 v10 a16 16 0 0 1 -16 16" fill="none" stroke="#b08900" stroke-width="5"/>` +
        `<rect x="50" y="66" width="12" height="18" fill="#b08900"/><rect x="32" y="84" width="48" height="14" rx="4" fill="#6c4f00"/>`,
    ),
  },
  {
    code: 'viloLol',
    svg: face(
      '#ffd23f',
      `<path d="M28 46 l16 -6 l-16 -6" stroke="${EYE}" stroke-width="6" fill="none" stroke-linecap="round" stroke-linejoin="round"/>` +
        `<path d="M84 46 l-16 -6 l16 -6" stroke="${EYE}" stroke-width="6" fill="none" stroke-linecap="round" stroke-linejoin="round"/>` +
        `<path d="M26 60 h60 q0 32 -30 32 q-30 0 -30 -32 z" fill="${EYE}"/>` +
        `<path d="M18 52 q-8 14 0 20 q8 -6 0 -20z M94 52 q-8 14 0 20 q8 -6 0 -20z" fill="#4cc9f0"/>`,
    ),
  },
  {
    code: 'viloSad',
    svg: face(
      '#8ecae6',
      `<circle cx="40" cy="46" r="6" fill="${EYE}"/><circle cx="72" cy="46" r="6" fill="${EYE}"/>` +
        `<path d="M36 84 q20 -18 40 0" stroke="${EYE}" stroke-width="6" fill="none" stroke-linecap="round"/>` +
        `<path d="M72 56 q-8 14 0 20 q8 -6 0 -20z" fill="#1d4ed8"/>`,
    ),
  },
  {
    code: 'viloWow',
    svg: face(
      '#ffe066',
      `<circle cx="38" cy="44" r="10" fill="#fff" stroke="${EYE}" stroke-width="4"/><circle cx="38" cy="44" r="4" fill="${EYE}"/>` +
        `<circle cx="74" cy="44" r="10" fill="#fff" stroke="${EYE}" stroke-width="4"/><circle cx="74" cy="44" r="4" fill="${EYE}"/>` +
        `<ellipse cx="56" cy="80" rx="10" ry="13" fill="${EYE}"/>`,
    ),
  },
  {
    code: 'viloStar',
    svg: shape(`<path d="M56 6 L70 40 L106 42 L78 65 L88 100 L56 80 L24 100 L34 65 L6 42 L42 40 Z" fill="#ffd60a" stroke="#c99700" stroke-width="4" stroke-linejoin="round"/>`),
  },
  {
    code: 'viloFire',
    svg: shape(
      `<path d="M56 104 C30 104 16 86 16 66 C16 44 34 34 36 12 C50 22 56 34 54 48 C62 42 66 34 66 26 C84 40 96 56 96 70 C96 90 80 104 56 104 Z" fill="#f77f00"/>` +
        `<path d="M56 104 C44 104 36 94 36 82 C36 70 46 64 48 52 C58 60 62 68 60 76 C66 72 68 68 70 64 C76 72 78 78 78 84 C78 96 68 104 56 104 Z" fill="#fcbf49"/>`,
    ),
  },
];
