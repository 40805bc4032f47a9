// The exercise's seven questions, each answered by a small experiment described by data.
export { QUESTIONS, DATA_SIZES, runQuestions, parseOnly, loadQuestionData } from './runner';
export type { Report, RunOptions } from './runner';
export { reportMarkdown, reportJson, writeReport, tableMarkdown } from './report';
export { synthetic, cifar10, findCifar10 } from './data';
export type { Question, QuestionData, QuestionResult, Answer, Table, Size, Context } from './types';
export { q1 } from './q1-same-init';
export { q2 } from './q2-bias-init';
export { q3 } from './q3-selu-vs-relu';
export { q4 } from './q4-activations';
export { q5 } from './q5-momentum';
export { q6 } from './q6-sparsity';
export { q7 } from './q7-dropout-cost';
