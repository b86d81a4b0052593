export { Podman, TEST_LABEL, type ContainerSpec } from './Podman.ts';
export { builtImages, IMAGE_NAMES, type ImageName, type Images } from './images.ts';
export { Container } from './Container.ts';
