-- Run inside real Neovim (tests/editors/test_neovim.py) on a buffer whose
-- language server is stapkit: reads back what the server produced in the editor
-- (diagnostics, a hover, a completion list, the buffer after formatting) and
-- writes it as JSON to $STAPKIT_NVIM_OUT. Positions come from $STAPKIT_NVIM_POSITIONS.
local positions = vim.fn.json_decode(vim.env.STAPKIT_NVIM_POSITIONS)
local out = { filetype = vim.bo.filetype, clients = {} }
local buf = vim.api.nvim_get_current_buf()

-- The server checks the script as soon as it is opened and publishes what it finds.
out.waited = vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local function finish()
  vim.fn.writefile({ vim.fn.json_encode(out) }, vim.env.STAPKIT_NVIM_OUT)
  vim.cmd('qa!')
end
for _, client in pairs(vim.lsp.buf_get_clients(buf)) do
  table.insert(out.clients, client.name)
end
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, code = d.code,
                                  severity = d.severity, source = d.source })
end

if not out.waited then
  return finish() -- no server, or it found nothing: the test says which
end

local function request(method, position)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    position = { line = position[1], character = position[2] },
  }
  local results, err = vim.lsp.buf_request_sync(buf, method, params, 30000)
  if not results then return { error = tostring(err) } end
  for _, r in pairs(results) do
    if r.err then return { error = vim.inspect(r.err) } end
    if r.result then return r.result end
  end
  return vim.NIL
end

out.hover = request('textDocument/hover', positions.hover)
local completion = request('textDocument/completion', positions.completion)
out.completion = {}
for _, item in ipairs(completion.items or completion) do
  table.insert(out.completion, item.label)
end

-- Formatting as a user asks for it; the edit is applied to the buffer by Neovim.
vim.bo.expandtab = true
vim.bo.shiftwidth = 2
vim.bo.tabstop = 2
if vim.lsp.buf.format then
  vim.lsp.buf.format({ timeout_ms = 30000 })
else
  vim.lsp.buf.formatting_sync(nil, 30000)
end
out.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

finish()
