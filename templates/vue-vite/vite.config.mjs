import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Host, port and allowed hosts are passed by LivePreview on the command line; keep this file
// to what the app itself needs.
export default defineConfig({
  plugins: [vue()],
})
