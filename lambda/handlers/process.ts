// Placeholder so the CDK constructs can bundle; the real handler lands in a following commit.
export const handler = async (): Promise<void> => {
  throw new Error('not implemented yet');
};
