-- Shared checks for the headless Neovim end-to-end tests (driven by tests/test_editor_neovim.py).
-- Runs under `nvim --headless -u NONE -i NONE -n`, on Neovim 0.7.2 and 0.11.
--
-- The test writes a JSON config and passes its path in $GOJAGUARD_NVIM_CONFIG:
--   cmd        the server command (list)
--   root       the workspace (copies of fixtures)
--   encoding   the position encoding this Neovim must end up with (utf-16 / utf-8)
--   pull       true if diagnostics must come by pull (textDocument/diagnostic), false for push
--   log        a file that receives everything printed
--   pool, loop, unicode   { path = ..., ... expectations computed from the fixture text }
-- The exit code is the verdict: 0 = every check passed (the last line printed is "PASS").

local M = {}

local log_file

function M.out(...)
  local parts = {}
  for i = 1, select('#', ...) do
    local v = select(i, ...)
    parts[#parts + 1] = type(v) == 'string' and v or vim.inspect(v, { newline = ' ', indent = '' })
  end
  local line = table.concat(parts, ' ') .. '\n'
  io.stdout:write(line)
  if log_file then
    log_file:write(line)
    log_file:flush()
  end
end

local Failure = {}

--- Fail the run with a message (caught by M.run, which exits non-zero).
function M.fail(msg)
  error(setmetatable({ msg = msg }, Failure), 2)
end

function M.check(cond, msg, ...)
  if not cond then
    M.fail(msg .. (select('#', ...) > 0 and (': ' .. vim.inspect({ ... }, { newline = ' ', indent = '' })) or ''))
  end
  return cond
end

--- Wait (processing events) until pred() is true; fail with `what` after `ms`.
function M.wait(ms, pred, what)
  if not vim.wait(ms, pred, 20) then
    M.fail('timed out after ' .. ms .. ' ms waiting for ' .. (type(what) == 'function' and what() or what))
  end
end

function M.config()
  local path = os.getenv('GOJAGUARD_NVIM_CONFIG')
  assert(path, '$GOJAGUARD_NVIM_CONFIG is not set')
  local f = assert(io.open(path, 'r'))
  local cfg = vim.fn.json_decode(f:read('*a'))
  f:close()
  if cfg.log then
    log_file = io.open(cfg.log, 'a')
  end
  return cfg
end

-- What the server sent, per URI: the raw LSP diagnostics of the last push or pull, and counts of
-- each kind of message. Installed before any client starts.
M.raw = {}
M.pushes = 0
M.pulls = 0

function M.record_diagnostics()
  local push = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    if result and result.uri then
      M.pushes = M.pushes + 1
      M.raw[result.uri] = result.diagnostics
    end
    return push(err, result, ctx, config)
  end
  local pull = vim.lsp.handlers['textDocument/diagnostic']
  if pull then -- 0.10+
    vim.lsp.handlers['textDocument/diagnostic'] = function(err, result, ctx, config)
      M.pulls = M.pulls + 1
      if result and result.kind == 'full' and ctx.params and ctx.params.textDocument then
        M.raw[ctx.params.textDocument.uri] = result.items
      end
      return pull(err, result, ctx, config)
    end
  end
end

--- Open a file in a new buffer with filetype go (no detection under -u NONE). Returns bufnr.
function M.open(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'go' -- sets languageId; with vim.lsp.enable it starts the client
  return bufnr
end

--- The buffer's gojaguard diagnostics, sorted by position, as compact tables.
function M.diags(bufnr, code)
  local res = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'gojaguard' and (code == nil or d.code == code) then
      res[#res + 1] = d
    end
  end
  table.sort(res, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return res
end

function M.brief(ds)
  local res = {}
  for _, d in ipairs(ds) do
    res[#res + 1] = string.format('%s@%d:%d-%d:%d', tostring(d.code), d.lnum, d.col, d.end_lnum or -1, d.end_col or -1)
  end
  return table.concat(res, ' ')
end

--- Wait until the buffer's diagnostics satisfy pred(diags); returns them.
function M.wait_diags(bufnr, ms, pred, what)
  M.wait(ms, function()
    return pred(M.diags(bufnr))
  end, function()
    return what .. ' (have: ' .. M.brief(M.diags(bufnr)) .. ')'
  end)
  return M.diags(bufnr)
end

function M.find(ds, code, lnum)
  for _, d in ipairs(ds) do
    if d.code == code and (lnum == nil or d.lnum == lnum) then
      return d
    end
  end
end

--- A synchronous request to the one client on the buffer; returns the result.
function M.request(bufnr, method, params)
  local res, err = vim.lsp.buf_request_sync(bufnr, method, params, 10000)
  M.check(res ~= nil, method .. ' failed', err)
  for _, r in pairs(res) do
    M.check(r.err == nil, method .. ' returned an error', r.err)
    return r.result
  end
end

--- What this Neovim says it can show of a Diagnostic. LSP 3.17 has these flags only under
--- publishDiagnostics (3.18 adds them to textDocument.diagnostic too), so they describe the
--- Diagnostic type for pull clients as well.
function M.declared()
  local td = vim.lsp.protocol.make_client_capabilities().textDocument
  local push, pull = td.publishDiagnostics or {}, td.diagnostic or {}
  return {
    relatedInformation = (push.relatedInformation or pull.relatedInformation) and true or false,
    codeDescription = (push.codeDescriptionSupport or pull.codeDescriptionSupport) and true or false,
  }
end

-- Field checks are reported apart ("FIELDS ok" / "FIELDS FAIL: ..."), so that a known server bug
-- there does not hide the rest of the run (tests/test_editor_neovim.py checks both lines).
M.field_problems = {}

--- The optional fields: present (and well-formed) exactly when the client declared them.
function M.check_fields(d)
  local lsp = d.user_data and d.user_data.lsp or {}
  local declared = M.declared()
  local has = {
    relatedInformation = type(lsp.relatedInformation) == 'table' and #lsp.relatedInformation > 0
      and lsp.relatedInformation[1].location ~= nil,
    codeDescription = type(lsp.codeDescription) == 'table' and type(lsp.codeDescription.href) == 'string'
      and lsp.codeDescription.href:match('^https?://') ~= nil,
  }
  for field, want in pairs(declared) do
    if has[field] ~= want then
      M.field_problems[#M.field_problems + 1] = string.format('%s: %s %s, but the client %s it', tostring(d.code), field,
        has[field] and 'sent' or 'missing', want and 'declared' or 'did not declare')
    end
  end
  return declared
end

--- The shared scenario, once a client is attached to `pool` (the seed pool executor copy).
---   client: the vim.lsp client; cfg: the config.
function M.scenario(cfg, get_client, open_attached)
  local P, L, U = cfg.pool, cfg.loop, cfg.unicode

  ------------------------------------------------------------------ 1. diagnostics after didOpen
  local buf = open_attached(P.path)
  -- the client's settings raise GJ204 (a warning by default) to an error: that they arrive counts too
  local ds = M.wait_diags(buf, 20000, function(d)
    return M.find(d, 'GJ203') and M.find(d, 'GJ204') and M.find(d, 'GJ204').severity == vim.diagnostic.severity.ERROR
  end, 'GJ203 and GJ204 (raised to an error by the settings) on the pool executor')
  local client = get_client(buf)
  M.out('client', client.name, 'offset_encoding=' .. client.offset_encoding)
  M.out('diagnostics after open:', M.brief(ds))
  local gj203, gj204 = M.find(ds, 'GJ203'), M.find(ds, 'GJ204')
  M.check(gj203.lnum == P.gj203_line and gj203.col == P.gj203_col, 'GJ203 position', gj203.lnum, gj203.col, P.gj203_line, P.gj203_col)
  M.check(gj204.lnum == P.gj204_line and gj204.col == P.gj204_col, 'GJ204 position', gj204.lnum, gj204.col, P.gj204_line, P.gj204_col)
  M.check(#ds == 2, 'exactly two findings on the pool executor', M.brief(ds))
  M.check(gj203.source == 'gojaguard' and gj204.source == 'gojaguard', 'source', gj203.source, gj204.source)
  M.check(gj203.severity == vim.diagnostic.severity.ERROR, 'GJ203 is an error', gj203.severity)
  M.check(gj204.severity == vim.diagnostic.severity.ERROR, 'GJ204 raised to an error', gj204.severity)
  M.out('client declares', M.check_fields(gj203))
  M.check_fields(gj204)
  M.check(gj203.message:find('goes back to the pool', 1, true), 'GJ203 message', gj203.message)

  ------------------------------------------------------------------ 2. encoding and push/pull
  M.check(client.offset_encoding == cfg.encoding, 'negotiated encoding', client.offset_encoding, cfg.encoding)
  local caps = client.server_capabilities
  if cfg.pull then
    M.check(caps.diagnosticProvider ~= nil, 'server must offer pull diagnostics to this client', caps.diagnosticProvider)
    M.check(M.pulls > 0 and M.pushes == 0, 'diagnostics must come by pull only', { pulls = M.pulls, pushes = M.pushes })
  else
    M.check(caps.diagnosticProvider == nil, 'server must not offer pull diagnostics to a client without it', caps.diagnosticProvider)
    M.check(M.pushes > 0 and M.pulls == 0, 'diagnostics must come by push only', { pulls = M.pulls, pushes = M.pushes })
  end
  M.out('diagnostics by', cfg.pull and 'pull' or 'push', { pulls = M.pulls, pushes = M.pushes })

  ------------------------------------------------------------------ 3. hover
  local hover = M.request(buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = P.gj203_line, character = P.runtime_char },
  })
  M.check(hover and hover.contents and hover.contents.kind == 'markdown', 'markdown hover on the runtime', hover)
  local text = hover.contents.value
  for _, want in ipairs({ 'e.runtimePool', 'Returned to the pool', 'GJ203' }) do
    M.check(text:find(want, 1, true), 'hover lacks ' .. want, text)
  end
  M.out('hover:', (text:gsub('\n.*', ' ...')))

  ------------------------------------------------------------------ 4. edits: diagnostics follow
  -- type the fix GJ204 asks for after `<-done`: GJ204 goes, GJ203 stays
  vim.api.nvim_buf_set_lines(buf, P.done_line + 1, P.done_line + 1, false, { '\t\t\truntime.ClearInterrupt()' })
  ds = M.wait_diags(buf, 10000, function(d)
    return M.find(d, 'GJ203') and not M.find(d, 'GJ204')
  end, 'GJ204 to go after inserting ClearInterrupt()')
  M.out('after inserting ClearInterrupt():', M.brief(ds))
  -- delete that line again: GJ204 is back where it was
  vim.api.nvim_buf_set_lines(buf, P.done_line + 1, P.done_line + 2, false, {})
  ds = M.wait_diags(buf, 10000, function(d)
    return M.find(d, 'GJ204', P.gj204_line) ~= nil
  end, 'GJ204 to come back after deleting the line')
  M.out('after deleting it:', M.brief(ds))
  -- insert a line at the top: both move down one line
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { '// edited by the e2e test' })
  ds = M.wait_diags(buf, 10000, function(d)
    return M.find(d, 'GJ203', P.gj203_line + 1) and M.find(d, 'GJ204', P.gj204_line + 1)
  end, 'both findings one line down')
  M.out('after a line at the top:', M.brief(ds))
  -- an edit inside a line: break the GJ204 interrupt call's receiver name, then restore it
  local line = vim.api.nvim_buf_get_lines(buf, P.gj204_line + 1, P.gj204_line + 2, false)[1]
  local s = line:find('runtime.Interrupt', 1, true) - 1
  vim.api.nvim_buf_set_text(buf, P.gj204_line + 1, s, P.gj204_line + 1, s + #'runtime', { 'other' })
  ds = M.wait_diags(buf, 10000, function(d)
    return not M.find(d, 'GJ204')
  end, 'GJ204 to go when the interrupted name is not the runtime')
  vim.api.nvim_buf_set_text(buf, P.gj204_line + 1, s, P.gj204_line + 1, s + #'other', { 'runtime' })
  ds = M.wait_diags(buf, 10000, function(d)
    return M.find(d, 'GJ204', P.gj204_line + 1) ~= nil
  end, 'GJ204 to come back when the name is restored')
  M.out('after an in-line edit and its undo:', M.brief(ds))

  ------------------------------------------------------------------ 5. quick fix: Stop -> StopNoWait
  local lbuf = open_attached(L.path)
  ds = M.wait_diags(lbuf, 20000, function(d)
    return #d == L.count
  end, L.count .. ' GJ402 findings')
  local target = M.find(ds, 'GJ402', L.stop_line)
  M.check(target and target.col == L.stop_col, 'GJ402 at loop.Stop()', M.brief(ds))
  local lsp_diag = nil
  for _, raw in ipairs(M.raw[vim.uri_from_bufnr(lbuf)] or {}) do
    if raw.code == 'GJ402' and raw.range.start.line == L.stop_line then
      lsp_diag = raw
    end
  end
  M.check(lsp_diag, 'the raw GJ402 diagnostic', M.raw[vim.uri_from_bufnr(lbuf)])
  local actions = M.request(lbuf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(lbuf) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag }, only = { 'quickfix' } },
  })
  local titles, fix = {}, nil
  for _, a in ipairs(actions or {}) do
    titles[#titles + 1] = a.title
    if a.title:find('StopNoWait', 1, true) then
      fix = a
    end
  end
  M.out('code actions:', titles)
  M.check(fix and fix.edit, 'a StopNoWait quick fix with an edit', titles)
  local lclient = get_client(lbuf)
  vim.lsp.util.apply_workspace_edit(fix.edit, lclient.offset_encoding)
  local fixed = vim.api.nvim_buf_get_lines(lbuf, L.stop_line, L.stop_line + 1, false)[1]
  M.check(fixed:find('loop.StopNoWait()', 1, true), 'the line after the quick fix', fixed)
  ds = M.wait_diags(lbuf, 10000, function(d)
    return #d == L.count - 1 and not M.find(d, 'GJ402', L.stop_line)
  end, 'the fixed GJ402 to go')
  M.out('after the quick fix:', M.brief(ds), '|', (fixed:gsub('^%s+', '')))

  ------------------------------------------------------------------ 6. positions on CJK / emoji lines
  local ubuf = open_attached(U.path)
  ds = M.wait_diags(ubuf, 20000, function(d)
    return #M.diags(ubuf, 'GJ201') == #U.expect
  end, #U.expect .. ' GJ201 findings on unicode.go')
  ds = M.diags(ubuf, 'GJ201')
  local raws = {}
  for _, raw in ipairs(M.raw[vim.uri_from_bufnr(ubuf)] or {}) do
    if raw.code == 'GJ201' then
      raws[#raws + 1] = raw
    end
  end
  table.sort(raws, function(a, b) return a.range.start.line < b.range.start.line end)
  M.check(#raws == #U.expect, 'raw GJ201 diagnostics', raws)
  for i, want in ipairs(U.expect) do
    local r, d = raws[i].range, ds[i]
    -- what the server sent, in the negotiated encoding's units
    M.check(r.start.line == want.line and r.start.character == want.start[cfg.encoding]
      and r['end'].character == want['end'][cfg.encoding],
      'GJ201 range in ' .. cfg.encoding .. ' on line ' .. (want.line + 1), r, want)
    -- and where Neovim put it in the buffer (byte columns): the flagged text exactly
    M.check(d.lnum == want.line and d.col == want.start['utf-8'] and d.end_col == want['end']['utf-8'],
      'GJ201 byte columns on line ' .. (want.line + 1), M.brief({ d }), want)
    local text = vim.api.nvim_buf_get_text(ubuf, d.lnum, d.col, d.end_lnum, d.end_col, {})[1]
    M.check(text == want.text, 'the flagged text', text, want.text)
    M.out(string.format('unicode line %d: %s character %d-%d = bytes %d-%d = %q', want.line + 1, cfg.encoding,
      r.start.character, r['end'].character, d.col, d.end_col, text))
  end
end

--- Run main() protected: any failure or Lua error prints FAIL and exits 1; success exits 0.
function M.run(main)
  local ok, err = xpcall(main, function(e)
    if type(e) == 'table' and getmetatable(e) == Failure then
      return e.msg
    end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then
    local clients = vim.lsp.get_clients or vim.lsp.get_active_clients -- 0.10+ / 0.7
    for _, c in pairs(clients()) do
      vim.lsp.stop_client(c.id)
    end
    vim.wait(3000, function()
      return #clients() == 0
    end, 20)
    M.out(#M.field_problems == 0 and 'FIELDS ok' or ('FIELDS FAIL: ' .. table.concat(M.field_problems, '; ')))
    M.out('PASS')
    vim.cmd('qa!')
  else
    M.out('FAIL: ' .. tostring(err))
    vim.cmd('cquit 1')
  end
end

return M
