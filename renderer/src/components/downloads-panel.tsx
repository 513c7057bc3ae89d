import { useEffect, useState } from 'react'
import type { FormEvent, JSX } from 'react'
import { describeDownload } from '../lib/download-progress'
import { useAppStore } from '../store/app-store'
import { useLibraryStore } from '../store/library-store'

/**
 * Downloads from the Hugging Face Hub: a curated ONNX export, or any repository and revision
 * typed in, with an optional access token for gated repositories (sent with this download only;
 * main never stores or logs it). Each download shows bytes, rate and time left, and can be
 * cancelled; a finished one joins the model library.
 */
export function DownloadsPanel(): JSX.Element {
  const api = useAppStore((s) => s.api)
  const known = useLibraryStore((s) => s.known)
  const downloads = useLibraryStore((s) => s.downloads)
  const error = useLibraryStore((s) => s.downloadError)
  const load = useLibraryStore((s) => s.loadDownloads)
  const start = useLibraryStore((s) => s.startDownload)
  const cancel = useLibraryStore((s) => s.cancelDownload)
  const [knownKey, setKnownKey] = useState('')
  const [repo, setRepo] = useState('')
  const [revision, setRevision] = useState('')
  const [token, setToken] = useState('')

  useEffect(() => {
    if (api !== null) void load()
  }, [api, load])

  const picked = known.find((k) => k.key === knownKey)
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    const request = {
      repo: repo.trim(),
      ...(revision.trim() === '' ? {} : { revision: revision.trim() }),
      ...(token === '' ? {} : { token })
    }
    void start(request).then((ok) => {
      // The token is not kept once the download has it.
      if (ok) setToken('')
    })
  }
  return (
    <section className="downloads" aria-labelledby="downloads-heading" data-testid="downloads">
      <h2 id="downloads-heading" className="section-title">
        Downloads{' '}
        <span className="muted">
          {downloads.filter((d) => d.state === 'running').length === 0
            ? 'from the Hugging Face Hub'
            : `${downloads.filter((d) => d.state === 'running').length} running`}
        </span>
      </h2>
      <form className="download-form" onSubmit={onSubmit} aria-label="Download a model">
        <label htmlFor="known-model">Known ONNX models</label>
        <select
          id="known-model"
          data-testid="known-model-select"
          value={knownKey}
          onChange={(e) => {
            setKnownKey(e.target.value)
            const k = known.find((m) => m.key === e.target.value)
            if (k !== undefined) {
              setRepo(k.repo)
              setRevision(k.revision === 'main' ? '' : k.revision)
            }
          }}
        >
          <option value="">Choose…</option>
          {known
            .filter((k) => k.kind !== 'preview-decoder')
            .map((k) => (
              <option key={k.key} value={k.key}>
                {k.name} · {k.familyLabel} · ~{k.approxDownloadGB} GB
              </option>
            ))}
          <optgroup label="Tiny preview decoders (TAESD)">
            {known
              .filter((k) => k.kind === 'preview-decoder')
              .map((k) => (
                <option key={k.key} value={k.key}>
                  {k.name} · ~{Math.round(k.approxDownloadGB * 10_000) / 10} MB
                </option>
              ))}
          </optgroup>
        </select>
        {picked !== undefined && (
          <p className="field-hint" data-testid="known-model-note">
            {picked.note}
            {picked.requiresProvider !== null
              ? ` Needs the ${picked.requiresProvider} provider.`
              : ''}
          </p>
        )}
        <label htmlFor="download-repo">Repository</label>
        <input
          id="download-repo"
          data-testid="download-repo-input"
          type="text"
          spellCheck={false}
          placeholder="owner/name"
          value={repo}
          onChange={(e) => setRepo(e.target.value)}
        />
        <div className="field-row">
          <div className="field">
            <label htmlFor="download-revision">Revision</label>
            <input
              id="download-revision"
              data-testid="download-revision-input"
              type="text"
              spellCheck={false}
              placeholder="main"
              value={revision}
              onChange={(e) => setRevision(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="download-token">Access token (gated models)</label>
            <input
              id="download-token"
              data-testid="download-token-input"
              type="password"
              autoComplete="off"
              placeholder="hf_…"
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          </div>
        </div>
        <button type="submit" data-testid="download-start-button" disabled={repo.trim() === ''}>
          Download
        </button>
      </form>
      {error !== null && (
        <p className="field-error" role="alert" data-testid="download-error">
          {error}
        </p>
      )}
      <ul className="download-list" data-testid="download-list">
        {downloads.map((d) => (
          <li
            key={d.id}
            className="download-item"
            data-testid={`download-${d.id}`}
            data-state={d.state}
          >
            <span className="download-name">
              {d.repo}
              {d.revision === 'main' ? '' : `@${d.revision}`}
            </span>
            {d.state === 'running' && (
              <progress
                max={d.totalBytes ?? 1}
                value={d.totalBytes === null ? undefined : d.doneBytes}
                aria-label={`Download of ${d.repo}`}
              />
            )}
            <span className="download-text" data-testid={`download-text-${d.id}`}>
              {describeDownload(d)}
            </span>
            {d.state === 'running' && (
              <button
                type="button"
                data-testid={`download-cancel-${d.id}`}
                onClick={() => void cancel(d.id)}
              >
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
