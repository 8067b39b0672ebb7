// TEMP placeholder so `cdk synth` can bundle this entry; replaced by the real handler at merge.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented');
};
