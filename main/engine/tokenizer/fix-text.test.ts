import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixText } from './fix-text'
import { ftfyUnescapeHtml, htmlUnescape } from './html-unescape'
import { fixEncoding, isBad } from './mojibake'
import { preparePromptText, whitespaceClean } from './prompt-text'

interface FixCase {
  text: string
  fix_text: string
  html_unescape: string
  ftfy: string
  clip: string
}

// Real ftfy 6.3.1 and Python 3.11's html.unescape on hand-picked prompts, generated mojibake (UTF-8
// decoded in each codec ftfy knows) and seeded random strings (tools/make_tokenizer_reference.py).
const reference = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../fixtures/text-fix-reference.json'), 'utf8')
) as { cases: FixCase[] }
const SPECIALS = ['<|startoftext|>', '<|endoftext|>']

/** The cases where `actual` differs from the reference, for a readable failure. */
function mismatches(key: keyof FixCase, actual: (text: string) => string): unknown[] {
  return reference.cases
    .filter((c) => actual(c.text) !== c[key])
    .map((c) => ({ text: c.text, expected: c[key], actual: actual(c.text) }))
}

describe('text fixing matches Python', () => {
  it('has a reference with hundreds of strings, many of them changed by ftfy', () => {
    expect(reference.cases.length).toBeGreaterThan(500)
    const changed = reference.cases.filter((c) => c.fix_text !== c.text)
    expect(changed.length).toBeGreaterThan(300)
  })

  it('fixText equals ftfy.fix_text on every reference string', () => {
    expect(mismatches('fix_text', fixText)).toEqual([])
  })

  it('htmlUnescape equals html.unescape on every reference string', () => {
    expect(mismatches('html_unescape', htmlUnescape)).toEqual([])
  })

  it("the 'ftfy' prompt text equals transformers' CLIPTokenizer with ftfy", () => {
    expect(mismatches('ftfy', (t) => preparePromptText(t, 'ftfy', SPECIALS))).toEqual([])
  })

  it("the 'clip' prompt text equals OpenAI CLIP's tokenizer", () => {
    expect(mismatches('clip', (t) => preparePromptText(t, 'clip', SPECIALS))).toEqual([])
  })
})

describe('text fixing by example', () => {
  it('repairs UTF-8 read as Latin-1 or windows-1252, and leaves real accents alone', () => {
    expect(fixText('cafÃ© dÃ©jÃ  vu')).toBe('café déjà vu')
    expect(fixText('â€œquotedâ€\u009d')).toBe('"quoted"')
    expect(fixText('schÃ¶n')).toBe('schön')
    expect(fixEncoding('café déjà vu')).toBe('café déjà vu')
    expect(isBad('café')).toBe(false)
    expect(isBad('cafÃ©')).toBe(true)
  })

  it('straightens quotes, splits ligatures, narrows full-width text, drops the BOM', () => {
    expect(fixText('\u201ccurly\u201d it\u2019s')).toBe('"curly" it\'s')
    expect(fixText('\ufb01ne \ufb02at')).toBe('fine flat')
    expect(fixText('ＬＯＵＤ　ＮＯＩＳＥＳ１２３')).toBe('LOUD NOISES123')
    expect(fixText('\ufeffred')).toBe('red')
    expect(fixText('red\r\nblue\u2028green')).toBe('red\nblue\ngreen')
  })

  it('decodes only entities closed by ";", and none once the text looks like HTML', () => {
    expect(fixText('red &amp; blue &quot;x&quot; it&#39;s &EACUTE;')).toBe('red & blue "x" it\'s É')
    expect(fixText('this&not that &copy 2024')).toBe('this&not that &copy 2024')
    expect(fixText('<b>&amp;</b>')).toBe('<b>&amp;</b>')
    expect(ftfyUnescapeHtml('&#65; &#65x;')).toBe('A &#65x;')
    expect(htmlUnescape('&amp;amp; &copy 2024 &#128; &#xD800; &notit;')).toBe(
      '&amp; © 2024 € \ufffd ¬it;'
    )
  })

  it('cleans whitespace like transformers and lower-cases the prompt', () => {
    expect(whitespaceClean('  a \t\u3000b\u00a0 ')).toBe('a b')
    expect(preparePromptText('  Ｒｅｄ\u3000&amp; “Blue” ', 'ftfy')).toBe('red & "blue"')
    // fix_text repeats until nothing changes, so doubly escaped entities come out whole.
    expect(preparePromptText('&amp;amp; Red', 'ftfy')).toBe('& red')
    // CLIP's own html.unescape also takes references without ";" and ignores "<".
    expect(preparePromptText('&copy 2024 <b>&amp;</b>', 'ftfy')).toBe('&copy 2024 <b>&amp;</b>')
    expect(preparePromptText('&copy 2024 <b>&amp;</b>', 'clip')).toBe('© 2024 <b>&</b>')
    expect(preparePromptText('&amp; Red', 'none')).toBe('&amp; Red')
  })

  it("keeps special tokens out of the cleaning in 'ftfy' mode", () => {
    expect(preparePromptText('A <|endoftext|> &amp; B', 'ftfy', SPECIALS)).toBe('a<|endoftext|>& b')
  })
})
