/**
 * Labelled cases from other graders' public test suites, one suite per source, used as test data
 * (each case as its source labels it: `true` where the source's grader accepts the prediction,
 * `false` where it rejects it; no code of those projects is used). The Math-Verify 0.9.0 release's
 * own tests are collected separately, from its PyPI source release
 * (scripts/acceptance/public-grader-cases.py). Cases where rlmkit deliberately differs are listed
 * in PEER_DISAGREEMENTS with the reason; every other case must agree.
 * Used by test/tasks/grader-peer-suites.test.ts and scripts/acceptance/grader-public.ts --peers.
 */
import type { PublicCase } from './grader-public-conventions.js';

export interface PeerSuite {
  /** Where the cases come from and what was kept. */
  source: string;
  cases: PublicCase[];
}

const T = true;
const F = false;
const SUM = '$\\sum_{k=0}^n\\bigl(k\\bigr)$';

export const PEER_SUITES: Record<string, PeerSuite> = {
  'hendrycks-math': {
    /**
     * hendrycks/math modeling/math_equivalence_test.py (MIT): the MATH benchmark's own unit tests of
     * `is_equiv` after `strip_string` (one test per case).
     */
    source: 'hendrycks/math modeling/math_equivalence_test.py',
    cases: [
      ['\\tfrac{1}{2} + \\frac1{72}', '\\\\frac{1}{2} + 2/3', F],
      ['10, 4, -2', '4, 10, -2', F],
      ['10, 4, 2', '4, 12, 2', F],
      ['\\tfrac{1}{2} +\\! \\frac1{72}', '\\\\dfrac{1}{2} +\\frac{1}{72}', T],
      ['10\\text{ units}', '10 ', T],
      ['10\\text{ units}', '100 ', F],
      ['10', '\\$10', T],
      ['\\left(x-2\\right)\\left(x+2\\right)', '(x-2)(x+2)', T],
      ['0.1, 4, 2', '4, .1, 2', F],
      ['0.1', '.1', T],
      ['10\\%', '10', T],
      ['10\\sqrt{3} + \\sqrt4', '10\\sqrt3 + \\sqrt{4}', T],
      ['\\frac34i', '\\frac{3}{4}i', T],
      ['\\tfrac83', '\\frac{8}{3}', T],
      ['5x - 7y + 11z + 4 = 0', 'x + y - z + 2 = 0', F],
      ['1/2', '\\frac{1}{2}', T],
    ],
  },
  verl: {
    /**
     * volcengine/verl tests/utils/reward_score/test_numeric_canonicalization_on_cpu.py (Apache-2.0):
     * `is_equiv` on boxed references with leading zeros and signs.
     */
    source: 'volcengine/verl tests/utils/reward_score/test_numeric_canonicalization_on_cpu.py',
    cases: [
      ['\\boxed{033}', '33', T],
      ['\\boxed{+033}', '33', T],
      ['\\boxed{-0}', '0', T],
      ['\\boxed{000}', '0', T],
    ],
  },
  'math-verify-main/mixed-numbers': {
    /**
     * huggingface/Math-Verify tests/test_mixed_number_extraction.py (Apache-2.0, newer than the 0.9.0
     * release): each `verify(parse(gold), parse(pred))` it asserts, and each parsed value it checks as a
     * pair (value, prediction).
     */
    source: 'huggingface/Math-Verify tests/test_mixed_number_extraction.py',
    cases: [
      ['40/9', '4 4/9', T],
      ['-40/9', '-4 4/9', T],
      ['71/6', '11 5/6', T],
      ['71/6', '+11 5/6', T],
      ['40/9', 'The answer is 4 4/9.', T],
      ['4', 'The answer is 4 4/9.', F],
      ['4/9', '0 4/9', T],
      ['4', '4 0/9', T],
      ['9004/9', '1 000 4/9', T],
      ['4', '4 4/0', F],
      ['0', '4 4/0', F],
      ['4', '4 0/0', F],
      ['0', '4 0/0', F],
      ['-4', '-4 0/0', F],
      ['0', '-4 0/0', F],
      ['0', '0 0/0', F],
      ['1000', '1 000 0/0', F],
      ['0', '1 000 0/0', F],
      ['-1000', '-1 000 0/0', F],
      ['0', '-1 000 0/0', F],
      ['11', '11 6/6', F],
      ['1', '11 6/6', F],
      ['12', '11 6/6', F],
      ['10', '11 6/6', F],
      ['11', '11 7/6', F],
      ['7/6', '11 7/6', F],
      ['73/6', '11 7/6', F],
      ['59/6', '11 7/6', F],
      ['11', 'The answer is 11 6/6.', F],
      ['1', 'The answer is 11 6/6.', F],
      ['12', 'The answer is 11 6/6.', F],
      ['10', 'The answer is 11 6/6.', F],
      ['4', 'The answer is 4 0/0.', F],
      ['0', 'The answer is 4 0/0.', F],
      ['139/90', '11/10 4/9', F],
      ['103/9', '11.0 4/9', F],
      ['103/9', '(11) 4/9', F],
      ['139/90', '11/10\n4/9', F],
      ['71/6', '11\n5/6', F],
      ['71/6', '11\r\n5/6', F],
      ['5', '11\n5/6', T],
      ['5', '11\r\n5/6', T],
      ['11 + 4/9', '11 - 4/9', F],
      ['40/900', '4 4/9%', T],
      ['40/9', '4 4/9%', F],
      ['40/900', '4 4/9 %', T],
      ['40/9', '4 4/9 %', F],
      ['40/900', '4 4/9percent', T],
      ['40/9', '4 4/9percent', F],
      ['40/900', '4 4/9 percent', T],
      ['40/9', '4 4/9 percent', F],
      ['40/900', '4 4/9percentage', T],
      ['40/9', '4 4/9percentage', F],
      ['40/900', '4 4/9 percentage', T],
      ['40/9', '4 4/9 percentage', F],
      ['40/900', '4 4/9pct', T],
      ['40/9', '4 4/9pct', F],
      ['40/900', '4 4/9 pct', T],
      ['40/9', '4 4/9 pct', F],
      ['40/9', '4 + 4/9', T],
      ['5', '10/2', T],
      ['1000', '1 000', T],
      ['5', '$5.00', T],
      ['7/25', '28%', T],
      ['4/9', 'There are 4 objects and 4/9 remain.', T],
      ['2', '4 4/9 2', T],
    ],
  },
  'math-verify-main/failed-latex-span': {
    /**
     * huggingface/Math-Verify tests/test_failed_latex_span.py: an unreadable LaTeX span supplies no
     * number, and a later readable answer is still found.
     */
    source: 'huggingface/Math-Verify tests/test_failed_latex_span.py',
    cases: [
      ['0', SUM, F],
      ['1', SUM, F],
      ['0', 'Final answer is ' + SUM + '. I hope.', F],
      ['42', 'Final answer is ' + SUM + '. I hope. 42', T],
      ['42', 'Final answer is ' + SUM + '. I hope. $42$', T],
      ['1/2', 'Final answer is ' + SUM + '. I hope. 1/2', T],
      ['42', SUM + ' and $42$', T],
      ['42', '$42$ and ' + SUM, T],
      ['42', '42', T],
    ],
  },
  'lighteval/letters': {
    /**
     * huggingface/lighteval tests/metrics/test_extractive_match.py and test_math_eval.py (MIT):
     * `test_extraction_abc` and `test_multilingual_extraction_abc` (option letters, golds written as
     * option lines).
     */
    source: 'huggingface/lighteval tests/metrics/test_extractive_match.py and test_math_eval.py',
    cases: [
      ['C', 'thinking about it I think the correct answer is C', T],
      ['B', "Let's think step by step. It's not A because it doesn't make sense, therefore I think it's B", T],
      ['D', "The answer is for sure D, it can't be A or B", T],
      ['D', "The answer: D, it doesn't make sense for it to be A or B", T],
      ['D', "The answer: D, doesn't makese nsense for answer to be A or B", T],
      ['D', "D. it can't be A or B", T],
      ['(D) Alina', 'D', T],
      ['(A) Cecile', 'C', F],
      ['C Cecile', 'C', T],
      ['Alina and the answer is\n(C) Cecile', 'C', T],
      ['Alina and the answer is\nC Cecile', 'C', T],
      ['A Peter\nCelina bum', 'A', T],
      ['C', 'réponse est C non A', T],
      ['B', 'B。 不是 A', T],
      ['B', 'B。不是 A', T],
      ['B', 'B不是 A', T],
    ],
  },
  'lighteval/multilingual': {
    /**
     * huggingface/lighteval tests/metrics/test_extractive_match.py and test_math_eval.py:
     * `test_multilingual_extraction_math` and `test_multilingual_extraction_math_latex_numbers`
     * (Chinese, Arabic, Hindi and French solutions; the cases not also in Math-Verify's suite).
     */
    source: 'huggingface/lighteval tests/metrics/test_extractive_match.py and test_math_eval.py',
    cases: [
      [
        '13',
        '首先，我们知道最初有3只鸟和4只鹳鸟坐在篱笆上，所以总共有3 + 4 = 7只鸟和鹳鸟。 然后，又有6只鹳鸟来加入它们，所以鹳鸟的总数变成4 + 6 = 10只。 因此，现在篱笆上总共有3只鸟（假设鸟的数量没有变化）和10只鹳鸟，所以一共有3 + 10 = 13只鸟和鹳鸟。',
        T,
      ],
      [
        '3',
        '瑞秋的数学作业有5页，阅读作业有2页。 要找出数学作业比阅读作业多多少页，我们可以简单地进行减法运算： 5页（数学作业） - 2页（阅读作业） = 3页 因此，瑞秋的数学作业比阅读作业多 **3页**。',
        T,
      ],
      [
        '858',
        '要解决这个问题，我们可以按照以下步骤进行： 1. **确定每个袋子里的糖果数量**：弗兰克将糖果放入26个袋子里，每个袋子里有33颗糖果。 2. **计算总糖果数量**：如果每个袋子里有33颗糖果，那么26个袋子里的糖果总数为：33颗/袋 * 26袋 = 858颗。 因此，弗兰克一共有**858颗**糖果。 ',
        T,
      ],
      [
        '192',
        '让我们一步步来解决这个问题。 我们知道杰西减掉了126公斤，她目前的体重是66公斤。要找到她开始慢跑前的体重，我们只需将她减掉的体重添加到她当前的体重上： 66公斤（当前体重） + 126公斤（减掉的体重） = 192公斤 因此，杰西开始慢跑前的体重是192公斤。 ',
        T,
      ],
      [
        '8722',
        '让我们一步步来解决这个问题。 我们知道每件T恤的利润是98美元。在阿肯色州比赛和德克萨斯理工大学比赛期间，他们总共卖出了163件T恤。其中，在阿肯色州比赛期间卖出了89件T恤。 要计算从阿肯色州比赛中卖出的T恤赚的钱，我们只需要将阿肯色州比赛期间卖出的T恤数量乘以每件T恤的利润： 89件T恤 * 98美元/件 = 8722美元 所以，他们从阿肯色州比赛中卖出的T恤赚了8722美元。 ',
        T,
      ],
      [
        '99',
        '首先，我们知道Haley的班上有11个喜欢玩弹珠的男孩。如果她给每个男孩9颗弹珠，我们可以通过以下步骤计算她总共有多少颗弹珠： 1. **确定给所有男孩的弹珠数量**：11个男孩 * 9颗弹珠/男孩 = 99颗弹珠 2. **结论**：Haley总共有99颗弹珠。 ',
        T,
      ],
      [
        '92',
        'لإيجاد ناتج العملية الحسابية 79 * 2 - 66، سنقوم بالخطوات التالية: 1. أولاً، نقوم بضرب 79 في 2: 79 * 2 = 158 2. ثم نطرح 66 من النتيجة السابقة: 158 - 66 = 92 لذا، ناتج العملية الحسابية 79 * 2 - 66 هو **92**.',
        T,
      ],
      [
        '66',
        'لإيجاد ناتج العملية الحسابية 55 * 3 - 99، سنقوم بالخطوات التالية: 1. أولاً، نقوم بضرب 55 في 3: 55 * 3 = 165 2. ثم نطرح 99 من النتيجة السابقة: 165 - 99 = 66 لذا، ناتج العملية الحسابية 55 * 3 - 99 هو **66**.',
        T,
      ],
      ['105', 'réponse est (35 + 70 = 105).', T],
      ['79', 'donc 353 g - 79 g = 274 g. Donc, il a déjà 79 g de cire.', T],
      ['220', "Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois.", T],
      ['70', 'La réduction est de 100 * 0,30 = 30 $. Le coût final est donc de 100 - 30 = 70', T],
      [
        '2/5',
        '} \\times \\frac{1}{3} = \\frac{6}{15} = \\frac{2}{5} ] 所以，每份应该是 (\\frac{2}{5}) 吨。 答案：每份应该是 (\\frac{2}{5}) 吨。',
        T,
      ],
      ['4000', ' 地块面积 = 72000 / 18 = 4000千克', T],
      ['300', '来计算水池中水的流出时间：12000升/40升/分钟=300分钟。因此，水池中水将在300分钟内被放完。', T],
      ['13/28', '计划的比例为13/28', T],
      ['8/46', '\\frac{4}{23}', T],
      ['$\\frac{9.5}{3.14159}$', '$\\frac{9.5}{3.14159} \\approx 3.01$', T],
      [
        '1314',
        'ا��باقي: 4 ÷ 3 = 1 بباقي 1 نكتب 1 فوق الخط ونضع الباقي 1 تحت الرقم الرابع. 6. نجمع الأرقام فوق الخط: 438 7. نتحقق من النتيجة: 438 × 3 = 1314 لذا، فإن ناتج 1314 ÷ 3 هو 438. الباقي من القسمة هو 0، مما يعني أن 1314 قابل للقسمة على 3 تمامًا.',
        T,
      ],
      [
        '67',
        ' ा गणना**: दुकान में शुरूआत में 56 कमीजें थीं। 2. जोड़ने वाली संख्या गणना: बाद में 11 और कमीजें मिलीं। 3. कुल संख्या गणना: मूल संख्या और जोड़ी गई संख्या को जोड़ने पर दुकान में अब कितनी कमीजें हैं ज्ञात कर सकते हैं। इसलिए, गणना करें: [ 56 + 11 = 67 ] इसलिए, दुकान में अब 67 कमीजें हैं। ',
        T,
      ],
      ['0', 'So the os then when we 9/3 we get 8 so the answer is 0', T],
      ['1', 'so $x+y = 1000$ therefore answer is $1$', T],
      ['1', 'how many $? just about 1$', T],
      ['$9$', "Answer don't parse me \\[ 9 \\]", T],
      ['$9$', "Answer don't parse me $ 9 $", T],
      ['$9$', "Answer don't parse me $$ 9 $$", T],
      ['$9$', "Answer don't parse me \\( 9 \\)", T],
      ['$9$', "Answer don't parse me $ \n 9 \n $", F],
      ['$9$', "Answer don't parse me \\( \n 9 \n \\)", F],
      ['$9$', "Answer don't parse me \\[ \n 9 \n \\]", T],
      ['$9$', "Answer don't parse me $$ \n 9 \n $$", T],
      ['$10/9$', "Answer don't parse me $ \\frac{1}{2} \\$ = \\frac{10}{9} $", T],
      ['$1/3$', '$\\frac{1}{3} \\text{x}$', T],
      ['$1/3$', '$\\frac{1}{3} \\textbf{x}$', T],
      ['$1/3$', '$\\k = \\frac{1}{3}$', T],
    ],
  },
  rllm: {
    /**
     * rllm-org/rllm tests/rewards/test_math_reward.py and test_math_utils.py (Apache-2.0): the verdicts of
     * `RewardMathFn`, `grade_answer_mathd` and `grade_answer_sympy` (the cases that test its
     * `</think>` format rule, not the answer, are left out).
     */
    source: 'rllm-org/rllm tests/rewards/test_math_reward.py and test_math_utils.py',
    cases: [
      ['4', '<think>2 + 2 = 4</think>\nThe answer is \\boxed{4}.', T],
      ['0.5', '<think>The answer could be written as a fraction or decimal</think>\nThe answer is \\boxed{0.5}.', T],
      ['1/2', '<think>The answer could be written as a fraction or decimal</think>\nThe answer is \\boxed{0.5}.', T],
      ['4', '<think>2 + 2 = 5</think>\nThe answer is \\boxed{5}.', F],
      ['x = 2, x = -3', '<think>Let me solve this quadratic equation</think>\nThe answer is \\boxed{x = 2, x = -3}.', T],
      ['\\boxed{24}', '<think>Let me calculate this carefully</think>\nThe answer is \\boxed{24}.', T],
      ['3.14159', '<think>The answer is approximately pi</think>\nThe answer is \\boxed{3.14159}.', T],
      ['1/2', '<think>Let me simplify this fraction</think>\nThe answer is \\boxed{\\frac{1}{2}}.', T],
      ['\\boxed{}', '<think>Calculating the answer</think>\nThe answer is \\boxed{42}.', F],
      ['', '<think>Calculating the answer</think>\nThe answer is \\boxed{42}.', F],
      ['', '<think>...</think>\nThe answer is \\boxed{}.', F],
      ['\\boxed{}', '<think>...</think>\nThe answer is \\boxed{}.', F],
      [' ', '<think>...</think>\nThe answer is \\boxed{ }.', F],
      ['', '<think>...</think>\n<|begin_of_box|><|end_of_box|>', F],
      ['\\boxed', '<think>...</think>\nThe answer is \\boxed{42}.', F],
      ['42', '<think>...</think>\nThe answer is \\boxed{}.', F],
      ['7', '<think>...</think>\nThe answer is \\boxed{}.', F],
      ['42', '<think>...</think>\nThe answer is \\boxed{42}.', T],
      ['7', '<think>...</think>\nThe answer is \\boxed{42}.', F],
      ['0', '<think>...</think>\nThe answer is \\boxed{0}.', T],
      ['\\boxed{0}', '<think>...</think>\nThe answer is \\boxed{0}.', T],
      ['10', '<think>5 + 5 = 10</think>\nThe answer is \\boxed{10}.', T],
      ['10', '<think>5 + 5 = 11</think>\nThe answer is \\boxed{11}.', F],
      ['', '', F],
      ['  ', '   ', F],
      ['42', '', F],
      ['', '42', F],
      ['42', '42', T],
    ],
  },
  areal: {
    /**
     * inclusionAI/AReaL areal/tests/test_math_verify_reward.py (Apache-2.0): the GSM8K and Geometry3K
     * reward functions (built on Math-Verify); cases whose test accepts either verdict are left out.
     */
    source: 'inclusionAI/AReaL areal/tests/test_math_verify_reward.py',
    cases: [
      ['4', 'The answer is 4', T],
      ['1/2', 'The answer is 0.5', T],
      ['4', 'Step 1: 2+2=4. \\boxed{4}', T],
      ['4', 'The answer is 5', F],
      ['4', '', F],
      ['2', '$\\sqrt{4} = 2$', T],
      ['90', 'The angle is [90].', T],
      ['5', 'The length is [5.0].', T],
      ['90', 'The angle is [60].', F],
      ['90', 'The answer is 90 degrees.', T],
      ['0.5', 'The ratio is [1/2].', T],
      ['90', '', F],
      ['90', 'The angle is [ 90 ].', T],
      ['4', 'The answer is !!!invalid!!!', F],
      ['2^3', 'The answer is 8', T],
      ['4', 'The answer is $\\sqrt{16}$', T],
      ['5/6', 'The answer is $\\frac{5}{6}$', T],
      ['-15', '-15', T],
      ['3', 'x = 3', T],
      ['42', 'Step 1: Calculate\nStep 2: Simplify\nFinal answer: 42', T],
      ['1000', '$10^3$', T],
      ['45', '[45 degrees]', T],
      ['45', '[45]', T],
      ['-3', '[-3]', T],
      ['2', '[$\\sqrt{4}$]', T],
      ['45', 'First try [30], second try [45].', T],
      ['10000', '[$10^4$]', T],
      ['2', '[$\\sqrt{\\sqrt{16}}$]', T],
      ['42', '42', T],
      ['999999999999999', '999999999999999', T],
      ['0.0000001', '0.0000001', T],
    ],
  },
  skyrl: {
    /**
     * NovaSky-AI/SkyRL skyrl-gym/tests/test_aime.py (Apache-2.0): the AIME environment's rule reward
     * (DAPO-style "Answer:" and box extraction with strict string comparison).
     */
    source: 'NovaSky-AI/SkyRL skyrl-gym/tests/test_aime.py',
    cases: [
      ['42', 'Answer: \\boxed{42}', T],
      ['42', 'Answer: 42', T],
      ['42', 'Answer: \\boxed{43}', F],
      ['\\frac{1}{2}', 'Answer: \\boxed{\\frac{1}{2}}', T],
      ['\\frac{1}{2}', 'Answer: \\boxed{0.5}', F],
      ['42', 'Answer: \\boxed{\\text{forty-two}}', F],
      ['42', '<|im_start|>Answer: \\boxed{42}<|im_end|>', T],
      ['42', '<|im_start|>Answer: \\boxed{42}im_end|>', F],
      ['42', 'Answer: \\boxed{42}<|eot_id|>', T],
      ['42', 'Answer: \\boxed{42}|eot_id|>', F],
    ],
  },
  'dapo-minerva': {
    /**
     * radixark/miles tests of rollout/rm_hub/math_dapo_utils (verl's `math_dapo` reward: Minerva
     * normalisation, "Answer:" lines, strict boxes) and cklxx/slime tests/test_math_reward_utils.py
     * (`grade_answer_verl`); normalisation checks kept as pairs (normalised form, raw form).
     */
    source: 'radixark/miles tests of rollout/rm_hub/math_dapo_utils',
    cases: [
      ['42', 'Answer: 42', T],
      ['42', 'Answer: 100', F],
      ['5', 'The answer is: 5', T],
      ['42', 'answer: wrong', F],
      ['\\boxed{42}', 'Answer: 42', T],
      ['42', 'blah blah \\boxed{42}', T],
      ['42', '\\boxed{wrong}', F],
      ['42', 'no box here', F],
      ['42', 'x'.repeat(500) + ' Answer: 42', T],
      ['42', '  42  ', T],
      ['hello', '\\text{hello}', T],
      ['bold', '\\textbf{bold}', T],
      ['42', 'x = 42', T],
      ['100', '100 square', T],
      ['50', '$50$ dollars', T],
      ['42', '\\boxed{42}', T],
      ['\\frac{1}{2}', '\\frac12', T],
      ['\\sqrt{3}', '\\sqrt3', T],
      ['1000', '1,000', T],
      ['25', 'Reasoning steps...\nAnswer: \\boxed{25}', T],
      ['25', 'Here is the result.\nAnswer: 25', T],
      ['25', '25', T],
      ['0', 'Answer: \\boxed{0}', T],
    ],
  },
  'qwen-math-debug (labels ours)': {
    /**
     * The `_test_math_equal` debug pairs of Qwen2.5-Math-family graders (QwenLM/Qwen2.5-Math
     * evaluation/grader.py and its copies in ToRA/DeepSeek-style evaluators). Those functions print
     * verdicts without asserting them, so the labels here are this project's (mathematical
     * equivalence at the default tolerance); not an independent agreement figure.
     */
    source: 'The `_test_math_equal` debug pairs of Qwen2.5-Math-family graders',
    cases: [
      ['\\frac{1}{12}', '1/12', T],
      ['(1,4.5)', '(1,\\frac{9}{2})', T],
      ['\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{7}', T],
      ['5.51', '\\frac{11}{2}', F],
      ['$16.0$', '16', T],
      ['(6.0+9.1i)', '6+9.2i', F],
      ['10 - 10*i**2', '20', T],
      ['(1,\\frac{9}{2})', '(1.0,4.5)', T],
      ['3s^2', '3*s**2', T],
      ['2x(15x^2-4x+10)', '2*x*(15*x**2 - 4*x + 10)', T],
      ['7*(x - 3)*(x + 3)', '7(x+3)(x-3)', T],
      ['0.0833333333333333', '\\frac{1}{12}', T],
      ['\\sec^2(y)', '\\tan^2(y)+1', T],
      ['34x+45y-20z+100=0', '-34x-45y+20z-100=0', T],
      ['33.3', '\\frac{100}{3}', F],
      ['\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}', '\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}', T],
      ['(a+5)(b+2)', '(+5)(b+2)', F],
      ['2', '\\frac{1+\\sqrt{5}}{2}', F],
      ['2,3,4', "*** We can get the question's Final Answer: \\boxed{2}, \\boxed{3}, \\boxed{4}.", T],
      ['2,3,4', "*** We can get the question's Final Answer: \\boxed{3}, \\boxed{2}, \\boxed{4}.", T],
      ['a = b', 'b = a', T],
      ['\\frac1{6}', '1/6', T],
      ['10%', '0.1', T],
      ['[1, 2, 3]', '[1, 2, 3]', T],
      ['\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', T],
      ['x = y', 'x = y', T],
      ['10', '20', F],
      ['x = y', 'x = z', F],
      ['x = 10', '10', T],
      ['10', 'x = 10', T],
      ['\\begin{pmatrix} -10 \\\\ 6 \\end{pmatrix}', '\\begin{pmatrix}-10\\\\6\\end{pmatrix}', T],
      ['(6, -\\frac{3}{8})', '\\left( 6, -\\frac{3}{8} \\right)', T],
    ],
  },
};

/** `suite|gold|pred` -> why rlmkit's verdict differs from the source's label. */
export const PEER_DISAGREEMENTS: Record<string, string> = {
  ['hendrycks-math' + '|' + '10, 4, -2' + '|' + '4, 10, -2']:
    "a bare comma list of answers is compared as a set (Math-Verify's reading; MATH asks for 'all solutions separated by commas'), the MATH harness compares strings in order",
  ['hendrycks-math' + '|' + '0.1, 4, 2' + '|' + '4, .1, 2']: 'the same: a bare list is a set, whatever the order',
  ['math-verify-main/mixed-numbers' + '|' + '5' + '|' + '11\n5/6']:
    "a number on its own line before a fraction: rlmkit reads the last number 5/6; Math-Verify's test keeps an older reading that matches 5",
  ['math-verify-main/mixed-numbers' + '|' + '5' + '|' + '11\r\n5/6']: 'the same as the line-feed case',
  ['math-verify-main/failed-latex-span' + '|' + '42' + '|' + SUM + ' and $42$']:
    "two spans joined by 'and' are read as a list of two answers, one unreadable, not as the readable one alone (after a marker, an unreadable answer does give way to a later readable one)",
  ['math-verify-main/failed-latex-span' + '|' + '42' + '|' + '$42$ and ' + SUM]: 'the same',
  ['lighteval/multilingual' +
  '|' +
  '1314' +
  '|' +
  'ا��باقي: 4 ÷ 3 = 1 بباقي 1 نكتب 1 فوق الخط ونضع الباقي 1 تحت الرقم الرابع. 6. نجمع الأرقام فوق الخط: 438 7. نتحقق من النتيجة: 438 × 3 = 1314 لذا، فإن ناتج 1314 ÷ 3 هو 438. الباقي من القسمة هو 0، مما يعني أن 1314 قابل للقسمة على 3 تمامًا.']:
    'the last number of the text is 3 and no marker names 1314 (lighteval disabled this case in test_extractive_match.py for the same reason)',
  ['skyrl' + '|' + '\\frac{1}{2}' + '|' + 'Answer: \\boxed{0.5}']:
    'strict string comparison in the source; rlmkit compares values (0.5 = 1/2)',
  ['skyrl' + '|' + '42' + '|' + '<|im_start|>Answer: \\boxed{42}im_end|>']:
    'a malformed end token after the box: the source rejects the whole reply as malformed; rlmkit grades the boxed answer',
  ['skyrl' + '|' + '42' + '|' + 'Answer: \\boxed{42}|eot_id|>']: 'the same',
};

export const peerKey = (suite: string, gold: string, pred: string): string => `${suite}|${gold}|${pred}`;
